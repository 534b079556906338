"""What every page carries around its content, as a newcomer meets it: the helplines only on
public pages, an icon, readable admin sections, a 403 logged as one line, and a start with no
warning of the project's making."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
HELP = 'id="help-heading"'
ROOT = Path(__file__).resolve().parents[1]


def test_the_helplines_are_on_public_pages_only(client):
    for url in ("/cases/check/", "/cases/new/", "/no-such-page/"):
        assert HELP in client.get(url).content.decode(), url
    for url in ("/accounts/login/", "/dashboard/no-such-page/"):
        assert HELP not in client.get(url).content.decode(), url
    caseworker = UserFactory(role="caseworker")
    password_only = Client()
    password_only.force_login(caseworker)
    assert HELP not in password_only.get("/accounts/2fa/setup/").content.decode()
    staff = signed_in(caseworker)
    for url in ("/dashboard/cases/", "/dashboard/escalations/", "/accounts/2fa/recovery-codes/"):
        assert HELP not in staff.get(url).content.decode(), url
    assert HELP in staff.get("/cases/check/").content.decode()  # a public page is the same for everyone


def test_every_page_has_the_hubs_icon(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/accounts/login/").content.decode()
    response = client.get("/favicon.ico")  # what browsers ask for on pages naming no icon (the admin's)
    assert response.status_code == 302 and response.url == "/static/favicon.svg"
    icon = client.get(response.url)
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"


def test_the_admin_names_its_sections_for_people():
    admin = UserFactory(role="admin", is_staff=True, is_superuser=True)
    page = signed_in(admin).get("/admin/").content.decode()
    for name in ("Two-factor: authenticator apps", "Two-factor: recovery codes", "Sign-in lockout"):
        assert name in page
    assert "Otp_" not in page and "OTP_" not in page


def test_a_refusal_is_logged_as_one_line_without_a_traceback(caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert signed_in(UserFactory(role="caseworker")).get("/dashboard/escalations/").status_code == 403
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /dashboard/escalations/"
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_starting_the_embedded_site_prints_no_warning():
    """What `make run` starts (the WSGI application, its middleware) warns about nothing; in
    the embedded mode there is no collectstatic output and WhiteNoise need not say so."""
    code = "import django; django.setup(); from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_STATIC", "WHITENOISE"))}
    env |= {"DJANGO_SETTINGS_MODULE": "ncii_site.settings", "LOG_LEVEL": "WARNING"}
    done = subprocess.run(  # noqa: S603 - our own interpreter, a fixed command
        [sys.executable, "-W", "always", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "WARNING" not in done.stderr, done.stderr
