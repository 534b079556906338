"""The content security policy: enforced with a nonce on pages, API answers and the Django
admin, and templates with no inline script, style or event handler."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
ENFORCED, REPORT_ONLY = "Content-Security-Policy", "Content-Security-Policy-Report-Only"
EXPECTED = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "media-src": "'self' blob:",
    "worker-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: value for name, value in parts}


def assert_enforced(response, *, nonce: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = directives(response[ENFORCED])
    assert {k: policy[k] for k in EXPECTED} == EXPECTED
    script = policy["script-src"].split()
    assert script[0] == "'self'" and len(script) == (2 if nonce else 1)
    assert REPORT_ONLY not in response
    return policy


def test_a_dashboard_page_is_enforced_and_its_htmx_script_carries_the_nonce(moderator):
    response = signed_in(moderator).get("/dashboard/")
    policy = assert_enforced(response, nonce=True)
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]+)'", policy["script-src"].split()[1]).group(1)
    assert f'src="/static/django_htmx/htmx-2.min.js" defer nonce="{nonce}"' in response.content.decode()


def test_the_nonce_is_new_for_every_response(client):
    first, second = (directives(client.get("/")[ENFORCED])["script-src"] for _ in range(2))
    assert first != second


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/"])
def test_public_pages_are_enforced(client, path):
    assert_enforced(client.get(path), nonce=True)


def test_api_answers_and_errors_are_enforced(client):
    assert_enforced(client.get("/api/v1/matches/1"), nonce=False)  # 401
    assert_enforced(client.get("/api/v1/no-such-thing"), nonce=False)  # 404


def test_htmx_injects_no_inline_style_and_runs_no_eval():
    base = (Path(settings.BASE_DIR) / "templates" / "base.html").read_text()
    for option in ('"includeIndicatorStyles": false', '"allowEval": false', '"allowScriptTags": false'):
        assert option in base


def test_the_admin_gets_the_policy_enforced(db):
    response = signed_in(UserFactory(role="admin", is_staff=True)).get("/admin/")
    assert response.status_code == 200
    assert_enforced(response, nonce=False)  # the admin's scripts are static files: no nonce needed


def project_templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = [p for p in root.glob("*/templates/**/*.html") if ".venv" not in p.parts]
    return found + list((root / "templates").glob("**/*.html"))


def test_templates_have_no_inline_script_without_a_nonce_and_no_inline_style_or_handler():
    templates = project_templates()
    assert len(templates) > 15
    for path in templates:
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            assert 'nonce="{{ csp_nonce }}"' in tag, f"{path}: {tag}"
        for pattern in (r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:", r"\shx-on"):
            assert not re.search(pattern, text, re.I), f"{path}: {pattern}"
