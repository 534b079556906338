"""Staff two-factor sign-in: enrolment with a QR code, verification, recovery codes, and no
staff page for a session that has not passed it."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit_events import STAFF_2FA_ENROLLED, STAFF_2FA_RECOVERY_CODE_USED, STAFF_2FA_RECOVERY_CODES_RENEWED
from accounts.services import recovery_code_digest
from audit.models import AuditEvent
from tests.api_helpers import CASES, post_json
from tests.factories import PASSWORD, PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import HTMX, signed_in, totp_code, totp_device
from tests.url_routes import routes

pytestmark = pytest.mark.django_db
SETUP, VERIFY, RECOVERY = "/accounts/2fa/setup/", "/accounts/2fa/", "/accounts/2fa/recovery-codes/"


def password_only(user) -> Client:  # type: ignore[no-untyped-def]
    """Signed in with the password through the real form: the second factor still to come."""
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def pending_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.get(user=user, confirmed=False)


def test_staff_without_a_device_are_sent_to_enrol_and_see_a_qr_code_and_the_secret(moderator):
    client = password_only(moderator)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response.url == f"{SETUP}?next=%2Fdashboard%2F"
    page = client.get(response.url).content.decode()
    device = pending_device(moderator)
    qr = re.search(r'<img class="qr" src="(data:image/svg\+xml[^"]+)"', page)
    assert qr and "<path" in qr.group(1).replace("%3C", "<")  # drawn in the page, nothing fetched
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert secret.replace(" ", "") in device.config_url and "issuer=NCII%20Hub" in device.config_url


def test_enrolment_confirms_with_a_first_code_then_shows_ten_recovery_codes_once(moderator):
    client = password_only(moderator)
    client.get(SETUP)
    device = pending_device(moderator)
    response = client.post(SETUP, {"code": totp_code(device), "next": "/dashboard/"})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=moderator).values_list("token", flat=True))
    assert stored == {recovery_code_digest(code) for code in codes} and not stored & set(codes)  # never the codes
    device.refresh_from_db()
    assert device.confirmed
    event = AuditEvent.objects.get(action=STAFF_2FA_ENROLLED)
    assert event.actor_user == moderator and event.after["recovery_codes"] == 10
    assert client.get("/dashboard/").status_code == 200
    assert client.get(SETUP).status_code == 302  # enrolment happens once: no second device


def test_a_wrong_first_code_does_not_enrol(moderator):
    client = password_only(moderator)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "000000"})
    assert response.status_code == 400 and "wrong or has expired" in response.content.decode()
    assert not pending_device(moderator).confirmed
    assert client.get("/dashboard/").url.startswith(SETUP)
    assert not AuditEvent.objects.filter(action=STAFF_2FA_ENROLLED).exists()


def test_a_right_first_code_right_after_a_wrong_one_enrols(moderator):
    """The enrolment page shows the secret, so a wrong first code earns no wait: the right
    code typed at once is accepted (the sign-in check keeps its throttle, below)."""
    client = password_only(moderator)
    client.get(SETUP)
    assert client.post(SETUP, {"code": "000000"}).status_code == 400
    assert client.post(SETUP, {"code": "111111"}).status_code == 400
    response = client.post(SETUP, {"code": totp_code(pending_device(moderator)), "next": "/dashboard/"})
    assert response.status_code == 200 and "Your recovery codes" in response.content.decode()
    assert TOTPDevice.objects.get(user=moderator).confirmed


def test_the_enrolment_page_says_how_to_get_a_code(moderator):
    page = password_only(moderator).get(SETUP).content.decode()
    assert "authenticator app" in page and "oathtool" in page


def test_staff_with_a_device_verify_with_its_code_and_go_on_to_the_page(moderator):
    device = totp_device(moderator)
    client = password_only(moderator)
    page = client.get(VERIFY).content.decode()
    assert 'aria-label="Dashboard"' not in page and 'action="/accounts/logout/"' in page  # no nav yet
    response = client.get("/dashboard/escalations/")
    assert response.url == f"{VERIFY}?next=%2Fdashboard%2Fescalations%2F"
    assert client.get(SETUP).url.startswith(VERIFY)  # a password alone cannot enrol a new device
    key = client.session.session_key
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/dashboard/"})
    assert response.status_code == 302 and response.url == "/dashboard/"
    assert client.session.session_key != key  # a new session id for the verified session
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_code_is_refused_and_further_tries_are_throttled(moderator):
    device = totp_device(moderator)
    client = password_only(moderator)
    response = client.post(VERIFY, {"code": "123456", "next": "/dashboard/"})
    assert response.status_code == 400
    assert client.get("/dashboard/").url.startswith(VERIFY)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 400  # too soon after a wrong one
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302


def test_a_recovery_code_works_once_and_only_for_its_owner(db):
    owner, other = UserFactory(role="moderator"), UserFactory(role="moderator")
    codes = _enrolled_codes(owner)
    totp_device(other)
    client = password_only(owner)
    typed = f"{codes[0][:4].upper()} {codes[0][4:]}"  # as printed, typed with a space and in capitals
    response = client.post(VERIFY, {"code": typed, "next": "/dashboard/"})
    assert response.status_code == 302 and client.get("/dashboard/").status_code == 200
    event = AuditEvent.objects.get(action=STAFF_2FA_RECOVERY_CODE_USED)
    assert event.actor_user == owner and event.after == {"remaining": 9}
    client.post("/accounts/logout/")
    assert password_only(owner).post(VERIFY, {"code": codes[0]}).status_code == 400
    assert password_only(other).post(VERIFY, {"code": codes[1]}).status_code == 400


def _enrolled_codes(user) -> list[str]:  # type: ignore[no-untyped-def]
    client = password_only(user)
    client.get(SETUP)
    page = client.post(SETUP, {"code": totp_code(pending_device(user))}).content.decode()
    return re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)


def _staff_paths() -> list[str]:
    # Every id in a dashboard URL is 1: the session must be refused before any object is read.
    paths = [r.path(**dict.fromkeys(r.params, 1)) for r in routes() if r.route.startswith("dashboard/")]
    admin = [
        "/admin/",
        "/admin/login/",
        "/admin/auth/user/",
        "/admin/auth/user/1/change/",
        "/admin/otp_totp/totpdevice/",
        "/admin/audit/auditevent/",
    ]
    return paths + admin


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unverified_session_reaches_no_dashboard_page_and_not_the_admin(method):
    user = UserFactory(role="senior_moderator", is_staff=True, is_superuser=True)
    totp_device(user)
    item_open(PartnerFactory())
    client = password_only(user)
    paths = _staff_paths()
    assert len(paths) >= 10 and "/dashboard/failed/" in paths
    for path in paths:
        response = getattr(client, method)(path)
        assert response.status_code == 302 and response.url.startswith(VERIFY), (path, response.status_code)


def test_an_unverified_htmx_request_moves_the_whole_page_to_the_second_factor(moderator):
    totp_device(moderator)
    response = password_only(moderator).get(
        "/dashboard/", HTTP_HX_CURRENT_URL="http://testserver/dashboard/?x=1", **HTMX
    )
    assert response.status_code == 200 and response["HX-Redirect"] == f"{VERIFY}?next=%2Fdashboard%2F%3Fx%3D1"


def test_after_verification_only_local_next_addresses_are_followed(moderator):
    device = totp_device(moderator)
    client = password_only(moderator)
    response = client.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response.url == "/"


def test_the_admin_needs_the_second_factor_and_signs_in_on_the_hub_page(db):
    admin = UserFactory(role="admin", is_staff=True)
    assert Client().get("/admin/", follow=True).redirect_chain[-1][0] == "/accounts/login/?next=/admin/"
    assert signed_in(admin).get("/admin/").status_code == 200
    moderator = signed_in(UserFactory(role="moderator"))  # verified, but not admin staff
    response = moderator.get("/admin/", follow=True)
    assert response.status_code == 403 and len(response.redirect_chain) == 1


def test_partner_apis_and_public_pages_do_not_ask_for_a_second_factor(moderator, partner_keys):
    totp_device(moderator)
    client = password_only(moderator)
    assert Client().get("/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    hashes = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 90}]}
    assert post_json(client, CASES, hashes).status_code == 201
    _, keys = partner_keys
    assert Client().get("/api/v1/matches/1", HTTP_AUTHORIZATION=f"Bearer {keys.api_key}").status_code == 404


def test_the_migration_replaces_codes_stored_in_clear_by_their_digests(moderator):
    from importlib import import_module

    from django.apps import apps
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=moderator, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    import_module("accounts.migrations.0001_recovery_codes_hashed").hash_plaintext_codes(apps, None)
    assert list(device.token_set.values_list("token", flat=True)) == [recovery_code_digest("abcd2345")]
    assert password_only(moderator).post(VERIFY, {"code": "abcd2345", "next": "/dashboard/"}).status_code == 302


def test_new_recovery_codes_need_a_current_authenticator_code_and_retire_the_old_ones(moderator):
    old = _enrolled_codes(moderator)
    client = password_only(moderator)
    assert client.get(RECOVERY).url.startswith(VERIFY)  # a password alone may not renew them
    client.post(VERIFY, {"code": old[0]})  # verified with a recovery code (9 left)
    page = client.get(RECOVERY)
    assert page.status_code == 200 and "Authenticator code" in page.content.decode()
    assert client.post(RECOVERY, {"code": old[1]}).status_code == 400  # a recovery code cannot mint more
    assert client.post(RECOVERY, {"code": "000000"}).status_code == 400
    assert StaticToken.objects.filter(device__user=moderator).count() == 9
    TOTPDevice.objects.filter(user=moderator).update(throttling_failure_timestamp=None)  # skip the wait
    response = client.post(RECOVERY, {"code": totp_code(TOTPDevice.objects.get(user=moderator))})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(set(new)) == 10 and not set(new) & set(old)
    event = AuditEvent.objects.get(action=STAFF_2FA_RECOVERY_CODES_RENEWED)
    assert event.actor_user == moderator and event.after == {"recovery_codes": 10}
    client.post("/accounts/logout/")
    assert password_only(moderator).post(VERIFY, {"code": new[0]}).status_code == 302
    assert password_only(moderator).post(VERIFY, {"code": old[2]}).status_code == 400  # old codes retired


def test_the_admin_role_cannot_make_anyone_a_superuser_or_grant_single_permissions(db):
    admin_user = UserFactory(role="admin", is_staff=True)
    client = signed_in(admin_user)
    url = f"/admin/auth/user/{admin_user.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    form = {"username": admin_user.username, "is_active": "on", "is_staff": "on", "is_superuser": "on"}
    form |= {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    form["groups"] = [g.pk for g in admin_user.groups.all()]
    assert client.post(url, form).status_code == 302
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser and admin_user.has_perm("auth.change_user")
