"""The second sign-in step: verify a session with a code, or enrol an authenticator app the
first time. Staff pages send unverified sessions here (accounts.middleware)."""

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.models import Device

from accounts.forms import CodeForm
from accounts.services import (
    recovery_codes_renew,
    second_factor_verify,
    totp_device_confirm,
    totp_device_pending,
    totp_secret,
)

WRONG_CODE = "That code is wrong or has expired. After several wrong codes each try must wait longer."


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    hosts = {request.get_host()}
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts=hosts, require_https=request.is_secure())
    return target if safe else reverse("home")


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


def _session_verified(request: HttpRequest, device: Device) -> None:
    request.session.cycle_key()  # a new session id for the more powerful session
    otp_login(request, device)


def _form(request: HttpRequest) -> CodeForm:
    return CodeForm(request.POST if request.method == "POST" else None)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(_next_url(request))
    if not user_has_device(user):
        return redirect(_with_next("accounts:2fa-setup", request))
    form = _form(request)
    if form.is_valid():
        device = second_factor_verify(user=user, code=form.cleaned_data["code"])  # type: ignore[arg-type]
        if device is not None:
            _session_verified(request, device)
            return redirect(_next_url(request))
        form.add_error("code", WRONG_CODE)
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/two_factor_verify.html", context, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: a QR code and the secret, confirmed with a first code; then the recovery
    codes, shown this once. Only for staff with no second factor yet."""
    user = request.user
    if user_has_device(user):
        return redirect(_with_next("accounts:2fa-verify", request))
    device = totp_device_pending(user=user)  # type: ignore[arg-type]
    form = _form(request)
    if form.is_valid():
        enrolled = totp_device_confirm(user=user, device_id=device.pk, token=form.cleaned_data["code"])  # type: ignore[arg-type]
        if enrolled is not None:
            _session_verified(request, enrolled[0])
            shown = {"codes": enrolled[1], "next": _next_url(request)}
            return render(request, "accounts/recovery_codes.html", shown)
        form.add_error("code", WRONG_CODE)
    context = {"form": form, "next": _next_url(request), "secret": totp_secret(device), "qr": _qr(device.config_url)}
    return render(request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200)


def sign_in_locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """django-axes' answer to a sign-in from a locked username and address pair."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


def _qr(text: str) -> str:
    """The QR code as an SVG data URI: drawn in the page, no request to anyone."""
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes_renew_page(request: HttpRequest) -> HttpResponse:
    """New recovery codes for a verified session, confirmed with a current authenticator code."""
    user = request.user
    if not user.is_verified():  # type: ignore[union-attr]
        return redirect(f"{reverse('accounts:2fa-verify')}?{urlencode({'next': request.path})}")
    form = _form(request)
    if form.is_valid():
        codes = recovery_codes_renew(user=user, token=form.cleaned_data["code"])  # type: ignore[arg-type]
        if codes is not None:
            shown = {"codes": codes, "next": reverse("home"), "renewed": True}
            return render(request, "accounts/recovery_codes.html", shown)
        form.add_error("code", WRONG_CODE)
    status = 400 if form.errors else 200
    return render(request, "accounts/recovery_codes_renew.html", {"form": form}, status=status)
