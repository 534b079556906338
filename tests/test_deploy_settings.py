"""Production settings pass Django's deployment checks; HTTPS headers and cookies."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]


def production_env(**overrides: str) -> dict[str, str]:
    """The process environment without our own settings, plus a production configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "NCII_"))}
    env.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_DEBUG": "0",
            "DJANGO_ALLOWED_HOSTS": "hub.example.org",
            "DJANGO_SECURE_COOKIES": "1",
            "DJANGO_SECURE_SSL_REDIRECT": "1",
            "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "NCII_IMAGE_KEYS": Fernet.generate_key().decode(),
            "NCII_AUDIT_KEY": secrets.token_urlsafe(48),
            "NCII_AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_names_each_missing_production_setting():
    env = production_env(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_COOKIES="0", NCII_IMAGE_KEYS="")
    result = check_deploy(env)
    assert result.returncode != 0
    for warning in ("security.W008", "security.W012", "security.W016", "ncii.W001"):
        assert warning in result.stderr, warning


def test_https_responses_carry_hsts_with_subdomains_and_preload(client, db):
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/")  # never on plain HTTP


def test_the_session_and_csrf_cookies_are_http_only_same_site_and_secure_in_production():
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_PROXY_SSL_HEADER)"
    )
    command = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    env = production_env(DJANGO_SETTINGS_MODULE="ncii_site.settings")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "True True True Lax ('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_production_hub_without_its_audit_keys_does_not_start():
    for missing in ("NCII_AUDIT_KEY", "NCII_AUDIT_SIGNING_KEY"):
        result = check_deploy(production_env(**{missing: ""}))
        assert result.returncode != 0
        assert f"RuntimeError: {missing} must be set" in result.stderr
