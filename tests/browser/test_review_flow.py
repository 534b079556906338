"""A moderator works the queue in Chromium: sign in, filter, review next, decide."""

import re

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from matching.models import HashFeedback
from moderation.audit_events import ITEM_CLAIM_RELEASED, ITEM_CONFIRM
from moderation.models import ReviewItem
from moderation.services import review_decide
from tests.browser.helpers import sign_in, wait_for
from tests.factories import PartnerFactory, UserFactory, item_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_moderator_reviews_next_and_confirms(page, live_server, artifact):
    busy = item_open(PartnerFactory(display_name="PhotoShare"), PartnerFactory(display_name="ClipHub"))
    quiet = item_open(PartnerFactory())
    moderator = UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator("#item-list tbody tr")).to_have_count(2)
    page.screenshot(path=artifact("queue.png"), full_page=True)

    page.get_by_role("button", name=re.compile("Review next")).click()
    expect(page.get_by_role("heading", name=f"Item #{busy.pk}")).to_be_visible()  # most partners first
    expect(page.get_by_text("PhotoShare")).to_be_visible()
    page.get_by_label(re.compile("Reason")).select_option("matches_bank")
    page.get_by_text("Add a note").click()
    page.get_by_label("Note").fill("Same image as the victim's hash")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name=f"Item #{quiet.pk}")).to_be_visible()  # decide and next
    expect(page.locator(".messages")).to_contain_text(f"Item {busy.pk} is now confirmed")
    assert ReviewItem.objects.get(pk=quiet.pk).claimed_by == moderator
    page.goto(f"{live_server.url}/dashboard/items/{busy.pk}/")  # leaving hands the claim back
    expect(page.locator("#decision-panel")).to_contain_text("Confirmed")
    expect(page.locator("#audit-trail")).to_contain_text(ITEM_CONFIRM)
    page.screenshot(path=artifact("item.png"), full_page=True)

    busy.refresh_from_db()
    assert (busy.state, busy.decided_by) == ("confirmed", moderator)
    assert HashFeedback.objects.get(bank_hash=busy.bank_hash).value == "Blocked"
    assert AuditEvent.objects.filter(action=ITEM_CONFIRM, actor_user=moderator).count() == 1
    wait_for(lambda: AuditEvent.objects.filter(action=ITEM_CLAIM_RELEASED, object_id=str(quiet.pk)).exists())
    quiet.refresh_from_db()
    assert (quiet.state, quiet.claimed_by) == ("pending", None)


def test_a_decision_that_lost_the_race_is_refused_in_the_page(page, live_server):
    item = item_open(PartnerFactory())
    UserFactory(username="maria", role="moderator")
    senior = UserFactory(role="senior_moderator")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    review_decide(moderator=senior, item_id=item.pk, decision="dismiss", reason_code="other", note="decided elsewhere")
    page.get_by_label(re.compile("Reason")).select_option("matches_bank")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#decision-panel")).to_contain_text(re.compile("changed|cannot", re.I))
    item.refresh_from_db()
    assert item.state == "dismissed"
    assert not AuditEvent.objects.filter(action=ITEM_CONFIRM).exists()


def test_queue_filters_update_the_list_and_the_address(page, live_server):
    item_open(PartnerFactory(name="photoshare", display_name="PhotoShare"))
    other = PartnerFactory(name="cliphub", display_name="ClipHub")
    item_open(other)
    UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    expect(page.locator("#item-list tbody tr")).to_have_count(2)
    page.get_by_label("Partner").select_option(label="ClipHub")
    expect(page.locator("#item-list tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(f"partner={other.pk}"))
