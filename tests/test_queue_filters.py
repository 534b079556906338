"""The queue's further filters and sorts, and how long its items have waited against the
target (NCII_SLA_TARGET_SECONDS)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import ReviewItem, ReviewState
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import HTMX, query_count, signed_in

pytestmark = pytest.mark.django_db
QUEUE = reverse("moderation:queue")
ESCALATIONS = reverse("moderation:escalations")


def listed(client, **params) -> list[int]:  # type: ignore[no-untyped-def]
    return [i.pk for i in client.get(QUEUE, params).context["page"]]


def aged(item: ReviewItem, **delta: float) -> ReviewItem:
    ReviewItem.objects.filter(pk=item.pk).update(opened_at=timezone.now() - timedelta(**delta))
    return ReviewItem.objects.get(pk=item.pk)


@pytest.fixture
def items(db):  # type: ignore[no-untyped-def]
    a, b, c = PartnerFactory(), PartnerFactory(), PartnerFactory()
    one = aged(item_open(a), hours=30)
    three = aged(item_open(a, b, c), hours=2)
    two = aged(item_open(a, b), hours=50)
    ReviewItem.objects.filter(pk=two.pk).update(has_hash_mismatch=True)
    return one, two, three


def test_filter_by_how_many_partners_reported(moderator, items):
    one, two, three = items
    client = signed_in(moderator)
    assert listed(client, min_partners=2) == [three.pk, two.pk]
    assert listed(client, min_partners=3) == [three.pk]
    assert len(listed(client, min_partners="many")) == 3  # invalid: ignored


def test_filter_by_hash_mismatch(moderator, items):
    one, two, three = items
    client = signed_in(moderator)
    assert listed(client, mismatch="yes") == [two.pk]
    assert listed(client, mismatch="no") == [three.pk, one.pk]


@pytest.mark.parametrize(
    ("sort", "order"),
    [("", (2, 1, 0)), ("priority", (2, 1, 0)), ("oldest", (1, 0, 2)), ("newest", (2, 0, 1)), ("partners", (2, 1, 0))],
)
def test_sorts(moderator, items, sort, order):
    assert listed(signed_in(moderator), sort=sort) == [items[i].pk for i in order]


def test_the_queue_shows_the_oldest_wait_and_the_breaches(moderator, items, settings):
    settings.NCII_SLA_TARGET_SECONDS = 24 * 3600
    response = signed_in(moderator).get(QUEUE)
    health = response.context["health"]
    assert (health.breaches, health.oldest_opened_at) == (2, items[1].opened_at)
    page = response.content.decode()
    assert "Oldest pending item waiting:" in page and "2\xa0days" in page
    assert 'data-sla-breaches="2">2 past the 24 h target' in page
    assert page.count("past target</span>") == 2


def test_health_counts_only_the_queues_own_state_and_scope(db, settings):
    settings.NCII_SLA_TARGET_SECONDS = 3600
    ours, theirs = PartnerFactory(), PartnerFactory()
    aged(item_open(ours), hours=3)
    aged(item_open(theirs), hours=5)
    escalated = aged(item_open(ours), hours=9)
    ReviewItem.objects.filter(pk=escalated.pk).update(state=ReviewState.ESCALATED)
    scoped = signed_in(UserFactory(role="moderator", partner=ours))
    assert scoped.get(QUEUE).context["health"].breaches == 1
    senior = signed_in(UserFactory(role="senior_moderator"))
    assert senior.get(QUEUE).context["health"].breaches == 2
    health = senior.get(ESCALATIONS).context["health"]
    assert (health.breaches, health.oldest_opened_at, health.target_label) == (1, escalated.opened_at, "1 h")


def test_an_empty_queue_says_so(moderator):
    page = signed_in(moderator).get(QUEUE).content.decode()
    assert "No pending items waiting." in page and "0 past the 24 h target" in page


def test_the_new_filters_are_in_the_form_and_kept_across_pages(moderator, items, settings):
    settings.NCII_QUEUE_PAGE_SIZE = 1
    client = signed_in(moderator)
    page = client.get(QUEUE, {"min_partners": 2, "sort": "oldest"}).content.decode()
    for name in ("min_partners", "mismatch", "sort"):
        assert f'name="{name}"' in page
    assert "?min_partners=2&amp;sort=oldest&amp;page=2" in page


@pytest.mark.parametrize("htmx", [False, True])
def test_filtered_and_sorted_queue_queries_do_not_grow_with_items(moderator, htmx):
    extra = HTMX if htmx else {}
    partner = PartnerFactory()
    client = signed_in(moderator)
    params = {"min_partners": 1, "mismatch": "no", "sort": "partners"}
    item_open(partner)
    one = query_count(lambda: client.get(QUEUE, params, **extra))
    for _ in range(15):
        item_open(partner)
    assert query_count(lambda: client.get(QUEUE, params, **extra)) == one


def test_each_row_says_who_reported_which_hash_the_check_and_the_claim(moderator):
    """A row names its reporting partners (a partner's moderator only their own, the rest as a
    count), the bank hash's first digits, a hash mismatch and who holds the item."""
    photo, clip = PartnerFactory(display_name="PhotoShare"), PartnerFactory(display_name="ClipHub")
    item = item_open(photo, clip)
    ReviewItem.objects.filter(pk=item.pk).update(
        has_hash_mismatch=True, claimed_by=moderator, claim_expires_at=timezone.now() + timedelta(minutes=5)
    )
    row = row_of(signed_in(moderator).get(QUEUE), item)
    assert "<td data-partners>ClipHub, PhotoShare</td>" in row
    assert f">{item.bank_hash.value[:12]}…</td>" in row
    assert "Hash mismatch" in row and f"<td>{moderator.username}</td>" in row
    scoped = signed_in(UserFactory(role="moderator", partner=clip))
    assert '<td data-partners>ClipHub <span class="muted">+ 1 other</span></td>' in row_of(scoped.get(QUEUE), item)


def row_of(response, item: ReviewItem) -> str:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    start = page.index(f'value="{item.pk}" form="bulk-select"')
    return page[start : page.index("</tr>", start)]
