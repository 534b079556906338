"""The enforced content security policy breaks nothing: Chromium reports no violation on the
public pages, sign-in with enrolment, the dashboard (with htmx swaps) and the API docs."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, PartnerFactory, UserFactory, item_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None)
    return seen


def test_public_pages_enrolment_and_api_docs_run_under_the_policy(page, live_server, violations):
    UserFactory(username="newcomer", role="caseworker")
    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/api/docs/")
    expect(page.get_by_text("/api/v1/matches/{report_id}")).to_be_visible()  # Swagger UI rendered
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    assert page.locator("img.qr").evaluate("img => img.naturalWidth") > 100  # the data: QR code drew
    assert violations == []


def test_the_dashboard_and_its_htmx_swaps_run_under_the_policy(page, live_server, violations):
    item = item_open(PartnerFactory(display_name="PhotoShare"))
    item_open(PartnerFactory(display_name="ClipHub"))
    UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    page.get_by_label("Partner").select_option(label="ClipHub")  # an htmx swap of the list
    expect(page.locator("#item-list tbody tr")).to_have_count(1)
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    page.get_by_label(re.compile("Reason")).select_option("different_image")
    page.get_by_role("button", name="Dismiss").click()  # a decision, then the next item (or the queue)
    expect(page.locator(".messages")).to_contain_text(f"Item {item.pk} is now dismissed")
    assert violations == []


def test_the_django_admin_runs_under_the_enforced_policy(page, live_server, violations):
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    sign_in(page, live_server, "root")
    pages = [
        "/admin/",
        "/admin/auth/user/?q=root",
        f"/admin/auth/user/{admin.pk}/change/",
        "/admin/auth/user/add/",
        "/admin/auth/group/add/",
        "/admin/audit/auditevent/",
        "/admin/otp_totp/totpdevice/",
    ]
    for path in pages:
        assert page.goto(live_server.url + path).status == 200, path
    page.goto(f"{live_server.url}/admin/auth/user/{admin.pk}/change/")
    page.locator("#id_groups_add_all").click()  # the admin's own script (SelectFilter2) runs
    expect(page.locator("#id_groups_to option")).not_to_have_count(0)
    assert violations == []
