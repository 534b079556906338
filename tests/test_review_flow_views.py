"""Working through a queue: decide and next, skipping to the next item, and the previous and
next links of the item page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.audit_events import ITEM_CLAIM_RELEASED, ITEM_CLAIMED
from moderation.models import ReviewItem, ReviewState
from moderation.services import review_claim_next
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import HTMX, query_count, signed_in

pytestmark = pytest.mark.django_db
NEXT = reverse("moderation:next")
QUEUE = reverse("moderation:queue")


def item_url(item_or_pk) -> str:  # type: ignore[no-untyped-def]
    return reverse("moderation:item", args=[getattr(item_or_pk, "pk", item_or_pk)])


def decide(client, item: ReviewItem, decision: str, **extra):  # type: ignore[no-untyped-def]
    data = {"decision": decision, "reason_code": "matches_bank", "version": item.version, "and_next": "on"}
    return client.post(item_url(item), data, **extra)


def queue_of(count: int) -> list[ReviewItem]:
    partner, now = PartnerFactory(), timezone.now()
    items = [item_open(partner) for _ in range(count)]
    for age, item in enumerate(reversed(items)):  # the first is the oldest
        ReviewItem.objects.filter(pk=item.pk).update(opened_at=now - timedelta(minutes=age + 1))
    return [ReviewItem.objects.get(pk=i.pk) for i in items]


def test_decide_and_next_claims_the_next_item_and_goes_there(moderator):
    first, second = queue_of(2)
    client = signed_in(moderator)
    client.post(NEXT)
    response = decide(client, first, "confirm", follow=True)
    assert response.redirect_chain == [(item_url(second), 302)]
    page = response.content.decode()
    assert f"Item {first.pk} is now confirmed." in page and f"Item #{second.pk}" in page
    second.refresh_from_db()
    assert second.claimed_by == moderator
    assert AuditEvent.objects.filter(action=ITEM_CLAIMED, object_id=str(second.pk)).count() == 1


def test_decide_and_next_with_htmx_sends_the_browser_to_the_next_item(moderator):
    first, second = queue_of(2)
    response = decide(signed_in(moderator), first, "dismiss", **HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == item_url(second)


def test_decide_and_next_at_the_end_of_the_queue_returns_to_it(moderator):
    (only,) = queue_of(1)
    response = decide(signed_in(moderator), only, "escalate", follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    page = response.content.decode()
    assert f"Item {only.pk} is now escalated." in page and "No items waiting." in page


def test_decide_and_next_continues_the_queue_the_item_came_from(senior):
    escalated = queue_of(3)
    ReviewItem.objects.filter(pk__in=[i.pk for i in escalated]).update(state=ReviewState.ESCALATED)
    first = ReviewItem.objects.get(pk=escalated[0].pk)
    response = decide(signed_in(senior), first, "confirm")
    assert response.url == item_url(escalated[1])


def test_reopening_stays_on_the_item(senior):
    (item,) = queue_of(1)
    ReviewItem.objects.filter(pk=item.pk).update(state=ReviewState.CONFIRMED)
    item.refresh_from_db()
    assert decide(signed_in(senior), item, "reopen").url == item_url(item)


def test_skipping_releases_the_held_item_and_claims_another(moderator):
    first, second = queue_of(2)
    client = signed_in(moderator)
    assert client.post(NEXT).url == item_url(first)
    assert client.post(NEXT).url == item_url(first)  # still held: the same item again
    assert client.post(NEXT, {"skip": first.pk}).url == item_url(second)
    first.refresh_from_db()
    assert first.claimed_by is None
    assert AuditEvent.objects.get(action=ITEM_CLAIM_RELEASED).object_id == str(first.pk)
    other = signed_in(UserFactory(role="moderator"))
    assert other.post(NEXT).url == item_url(first)


def test_skipping_the_last_item_leaves_the_queue_to_others(moderator):
    (only,) = queue_of(1)
    client = signed_in(moderator)
    client.post(NEXT)
    response = client.post(NEXT, {"skip": only.pk}, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert ReviewItem.objects.get(pk=only.pk).claimed_by is None


def test_skipping_someone_elses_item_leaves_their_claim(moderator):
    first, second = queue_of(2)
    other = UserFactory(role="moderator")
    review_claim_next(moderator=other)
    assert signed_in(moderator).post(NEXT, {"skip": first.pk}).url == item_url(second)
    assert ReviewItem.objects.get(pk=first.pk).claimed_by == other


def test_the_item_page_links_the_previous_and_next_items_in_queue_order(moderator):
    a, b, c = queue_of(3)
    ReviewItem.objects.filter(pk=c.pk).update(priority=5)  # most partners first: c, a, b
    client = signed_in(moderator)
    page = client.get(item_url(a)).content.decode()
    assert f'href="{item_url(c)}" rel="prev" aria-keyshortcuts="k"' in page
    assert f'href="{item_url(b)}" rel="next" aria-keyshortcuts="j"' in page
    assert f'name="skip" value="{a.pk}"' in page
    first = client.get(item_url(c)).content.decode()
    assert 'rel="prev"' not in first and f'href="{item_url(a)}" rel="next"' in first


def test_item_page_queries_do_not_grow_with_reports(moderator):
    small = item_open(PartnerFactory())
    large = item_open(*[PartnerFactory() for _ in range(6)])
    client = signed_in(moderator)
    client.get(item_url(small))  # the first page of a sign-in notes its start in the session
    assert query_count(lambda: client.get(item_url(small))) == query_count(lambda: client.get(item_url(large)))


INLINE = [
    (r"<script(?![^>]*\bsrc=)[^>]*>", "inline script"),
    (r"\sstyle=", "style attribute"),
    (r"\son[a-z]+=", "inline event handler"),
    (r"<style", "style element"),
]


def test_pages_are_ready_for_a_strict_content_security_policy(moderator):
    item = item_open(PartnerFactory())
    client = signed_in(moderator)
    for url in (QUEUE, item_url(item)):
        page = client.get(url).content.decode()
        assert '<script type="module" src="/static/js/review.js" nonce=' in page
        for pattern, what in INLINE:
            assert not re.search(pattern, page), f"{what} on {url}"
