"""Shared helpers for the dashboard page tests: staff clients signed in with both factors."""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

HTMX = {"HTTP_HX_REQUEST": "true"}


def totp_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    """The user's confirmed authenticator, created if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the device's app shows now, or the next step's if now's was already used
    (the device accepts one step either side, each code once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.drift += device.last_t + 1 - totp.t()
    return f"{totp.token():0{device.digits}d}"


def signed_in(user, *, enforce_csrf: bool = False) -> Client:  # type: ignore[no-untyped-def]
    """A client signed in as ``user`` whose session passed the second factor, as after the
    password and an authenticator code."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


def query_count(request) -> int:  # type: ignore[no-untyped-def]
    """Queries one request makes; ``request`` is a no-argument callable returning a response."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code in (200, 302), response.status_code
    return len(captured)
