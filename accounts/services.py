"""Second-factor devices: enrolment of an authenticator app (TOTP) with its recovery codes,
and checking a code at sign-in. Every change is audited with the staff member as actor."""

from base64 import b32encode

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp import user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit_events import (
    STAFF_2FA_ENROLLED,
    STAFF_2FA_RECOVERY_CODE_USED,
    STAFF_2FA_RECOVERY_CODES_RENEWED,
    USER,
)
from audit.services import Actor, audit_record

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled: unconfirmed until its first code is checked."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic(durable=True)
def totp_device_confirm(*, user: User, device_id: int, token: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with its first code and issue recovery codes. None
    when the code is wrong, or the user already has a second factor (enrolment happens once;
    replacing a lost device is an administrator's reset)."""
    if user_has_device(user):
        return None
    device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        return None
    # No wait after a wrong first code: throttling guards a secret, and the enrolment page
    # shows this one to the signed-in user, so a wait would only refuse the right code.
    device.throttle_reset(commit=False)
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    codes = _recovery_codes_issue(user)
    audit_record(
        actor=Actor.user(user),
        action=STAFF_2FA_ENROLLED,
        object_type=USER,
        object_id=user.pk,
        after={"device": device.persistent_id, "recovery_codes": len(codes)},
    )
    return device, codes


@transaction.atomic(durable=True)
def recovery_codes_renew(*, user: User, token: str) -> list[str] | None:
    """Replace the user's recovery codes with ten new ones, the old ones stop working. Needs a
    current authenticator code (a recovery code cannot mint more); None when it is wrong."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update().first()
    if device is None or not token.isdigit() or not device.verify_token(token):
        return None
    codes = _recovery_codes_issue(user)
    audit_record(
        actor=Actor.user(user),
        action=STAFF_2FA_RECOVERY_CODES_RENEWED,
        object_type=USER,
        object_id=user.pk,
        after={"recovery_codes": len(codes)},
    )
    return codes


def recovery_code_digest(code: str) -> str:
    """What is stored for a recovery code, never the code itself: HMAC-SHA256 keyed with the
    secret key, as 16 hex digits (django-otp's token column holds 16). Spaces and case are
    ignored, so a code typed as printed works however it is typed."""
    normalised = "".join(code.split()).lower()
    return salted_hmac("accounts.recovery_code", normalised, algorithm="sha256").hexdigest()[:16]


def _recovery_codes_issue(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=recovery_code_digest(code)) for code in codes)
    return codes


@transaction.atomic(durable=True)
def second_factor_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts ``code``: a six-digit code goes to the authenticator, anything
    else is tried as a recovery code (used up by this). Each device throttles its own wrong
    codes, so guessing one does not slow the other."""
    model = TOTPDevice if code.isdigit() else StaticDevice
    token = code if model is TOTPDevice else recovery_code_digest(code)
    for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
        if device.verify_token(token):
            if isinstance(device, StaticDevice):
                _recovery_code_used(user, device)
            return device
    return None


def _recovery_code_used(user: User, device: StaticDevice) -> None:
    remaining = device.token_set.count()
    audit_record(
        actor=Actor.user(user),
        action=STAFF_2FA_RECOVERY_CODE_USED,
        object_type=USER,
        object_id=user.pk,
        after={"remaining": remaining},
    )
