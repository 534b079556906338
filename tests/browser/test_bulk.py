"""A bulk decision in Chromium: tick items in the queue, see them with their match data,
confirm the count, and each item gets its own audit event."""

import re

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from moderation.audit_events import ITEM_DISMISS
from tests.browser.helpers import sign_in
from tests.factories import PartnerFactory, UserFactory, item_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tick_review_confirm_and_each_item_is_decided(page, live_server, artifact):
    partner = PartnerFactory()
    first, second, untouched = item_open(partner), item_open(partner), item_open(partner)
    maria = UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    page.get_by_label(f"Choose item #{first.pk}").check()
    page.get_by_label(f"Choose item #{second.pk}").check()
    page.get_by_role("button", name="Decide the ticked items together").click()
    expect(page.get_by_role("heading", name="Decide 2 items together")).to_be_visible()
    expect(page.locator(".bulk-items tbody tr")).to_have_count(2)
    page.get_by_label("Dismiss").check()
    page.get_by_label(re.compile("Reason")).select_option("not_intimate")
    page.get_by_role("button", name=re.compile("Preview the decision")).click()
    expect(page.get_by_role("heading", name="Confirm 2 items?")).to_be_visible()
    page.screenshot(path=artifact("bulk-confirm.png"), full_page=True)
    page.get_by_role("button", name="Yes, dismiss 2 items").click()
    expect(page.get_by_role("heading", name="2 items dismissed")).to_be_visible()
    events = AuditEvent.objects.filter(action=ITEM_DISMISS, actor_user=maria).order_by("seq")
    assert [e.object_id for e in events] == [str(first.pk), str(second.pk)]
    assert not AuditEvent.objects.filter(object_id=str(untouched.pk), action__startswith=ITEM_DISMISS).exists()
