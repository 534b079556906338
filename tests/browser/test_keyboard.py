"""A moderator works the queue by keyboard alone in Chromium, and the claim lease runs on its
own: a countdown, renewed while the page is in use, handed back on leaving."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from moderation.audit_events import ITEM_CLAIM_EXTENDED, ITEM_CLAIM_RELEASED, ITEM_CONFIRM, ITEM_DISMISS, ITEM_ESCALATE
from moderation.models import ReviewItem
from moderation.services import review_claim_next
from tests.browser.helpers import keys_on, sign_in, wait_for
from tests.factories import PartnerFactory, UserFactory, item_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def five_items() -> list[ReviewItem]:
    """Five pending items in queue order: more reporting partners first."""
    partners = [PartnerFactory() for _ in range(5)]
    items = [item_open(*partners[: 5 - n]) for n in range(5)]
    return [ReviewItem.objects.get(pk=i.pk) for i in items]


def on_item(page, item: ReviewItem) -> None:  # type: ignore[no-untyped-def]
    """Wait until the item's page is showing and its shortcuts listen."""
    expect(page.get_by_role("heading", name=f"Item #{item.pk}")).to_be_visible()
    keys_on(page)


def test_a_moderator_works_five_items_by_keyboard_alone(page, live_server, artifact):
    a, b, c, d, e = five_items()
    maria = UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    expect(page.locator("#item-list tbody tr")).to_have_count(5)
    keys_on(page)
    page.keyboard.press("j")
    expect(page.locator("#item-list tbody a").first).to_be_focused()
    page.screenshot(path=artifact("keyboard-queue.png"), full_page=True)

    page.keyboard.press("n")  # claim the next item
    on_item(page, a)
    page.keyboard.press("j")
    on_item(page, b)
    page.keyboard.press("k")
    on_item(page, a)

    page.keyboard.press("c")  # no reason yet: nothing is sent
    expect(page.locator("[data-key-hint]")).to_contain_text("Choose a reason first")
    page.keyboard.press("1")
    page.keyboard.press("c")
    on_item(page, b)  # decided, and the next one is claimed
    expect(page.get_by_text("Yours for")).to_be_visible()

    page.keyboard.press("2")
    page.keyboard.press("d")
    on_item(page, c)

    page.keyboard.press("5")
    page.keyboard.press("e")  # the note opens and takes the keys
    expect(page.get_by_label("Note")).to_be_focused()
    page.keyboard.type("The face is not visible; a senior should look.")
    page.screenshot(path=artifact("keyboard-item.png"), full_page=True)
    page.keyboard.press("Control+Enter")
    on_item(page, d)

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.keyboard.press("1")
    page.keyboard.press("c")
    on_item(page, e)

    page.keyboard.press("3")
    page.keyboard.press("d")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("No items waiting")

    decided = [ITEM_CONFIRM, ITEM_DISMISS, ITEM_ESCALATE]
    decisions = AuditEvent.objects.filter(actor_user=maria, action__in=decided)
    assert [(ev.object_id, ev.action, ev.after["code"]) for ev in decisions.order_by("seq")] == [
        (str(a.pk), ITEM_CONFIRM, "matches_bank"),
        (str(b.pk), ITEM_DISMISS, "different_image"),
        (str(c.pk), ITEM_ESCALATE, "needs_senior"),
        (str(d.pk), ITEM_CONFIRM, "matches_bank"),
        (str(e.pk), ITEM_DISMISS, "not_intimate"),
    ]
    assert decisions.get(action=ITEM_ESCALATE).reason == "The face is not visible; a senior should look."
    page.goto(f"{live_server.url}/dashboard/items/{c.pk}/")
    expect(page.locator("#audit-trail")).to_contain_text(ITEM_ESCALATE)
    expect(page.locator("#audit-trail")).to_contain_text("code: needs_senior")


def test_keys_are_ignored_while_typing(page, live_server):
    item = item_open(PartnerFactory())
    UserFactory(username="maria", role="moderator")
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    keys_on(page)
    page.get_by_text("Add a note").click()
    page.get_by_label("Note").click()
    page.keyboard.type("1 c d e n")
    expect(page.get_by_label("Note")).to_have_value("1 c d e n")
    expect(page.get_by_label(re.compile("Reason"))).to_have_value("")
    page.keyboard.press("Escape")
    page.keyboard.press("3")
    expect(page.get_by_label(re.compile("Reason"))).to_have_value("not_intimate")
    assert ReviewItem.objects.get(pk=item.pk).state == "pending"


def test_the_lease_counts_down_is_renewed_in_use_and_released_on_leaving(page, live_server, settings):
    settings.NCII_CLAIM_SECONDS = 60
    item = item_open(PartnerFactory())
    maria = UserFactory(username="maria", role="moderator")
    review_claim_next(moderator=maria)
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now() + timedelta(seconds=8))
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    page.mouse.move(10, 10)  # in use
    expect(page.locator("[data-expires-at]")).to_have_text(re.compile(r"^0:5\d$"))  # renewed to a minute
    event = AuditEvent.objects.get(action=ITEM_CLAIM_EXTENDED)
    assert event.actor_user == maria
    page.goto(f"{live_server.url}/dashboard/")
    wait_for(lambda: ReviewItem.objects.get(pk=item.pk).claimed_by is None)
    assert AuditEvent.objects.get(action=ITEM_CLAIM_RELEASED).actor_user == maria
