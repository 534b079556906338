"""Bulk decisions: chosen in the queue, shown with each item's blurred preview and match data,
confirmed by their count, capped; each item decided on its own with its own audit event."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from matching.crypto import image_encrypt
from matching.models import ReviewImage
from moderation.audit_events import IMAGE_REVEALED, ITEM_CONFIRM, ITEM_DISMISS, ITEM_ESCALATE
from moderation.models import ReviewItem, ReviewState
from moderation.services import (
    BulkTooLarge,
    DecisionRefused,
    ReasonRequired,
    review_claim_next,
    review_decide,
    review_decide_bulk,
)
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.images import encode, photo_like
from tests.staff_helpers import query_count, signed_in

pytestmark = pytest.mark.django_db
BULK = reverse("moderation:bulk")


def open_items(count: int) -> list[ReviewItem]:
    partner = PartnerFactory()
    return [item_open(partner) for _ in range(count)]


def decisions() -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    events = AuditEvent.objects.filter(action__in=[ITEM_CONFIRM, ITEM_DISMISS, ITEM_ESCALATE])
    return list(events.order_by("seq").values_list("object_id", "action", "after"))


# --- the service --------------------------------------------------------------------------


def test_each_item_is_decided_on_its_own_with_its_own_event(moderator):
    items = open_items(3)
    result = review_decide_bulk(
        moderator=moderator,
        items={i.pk: i.version for i in items},
        decision="dismiss",
        reason_code="different_image",
        note="batch of look-alikes",
    )
    assert result.decided == [i.pk for i in items] and result.refused == {}
    assert [(oid, action) for oid, action, _ in decisions()] == [(str(i.pk), ITEM_DISMISS) for i in items]
    assert all(after["bulk"] is True and after["code"] == "different_image" for *_, after in decisions())
    assert set(ReviewItem.objects.values_list("state", flat=True)) == {ReviewState.DISMISSED}


def test_a_refusal_for_one_item_stops_none_of_the_others(moderator, senior):
    taken, changed, fine = open_items(3)
    review_claim_next(moderator=UserFactory(role="moderator"))  # someone else holds the first
    review_decide(moderator=senior, item_id=changed.pk, decision="escalate", reason_code="needs_senior")
    result = review_decide_bulk(
        moderator=moderator,
        items={taken.pk: 1, changed.pk: 1, fine.pk: 1},
        decision="confirm",
        reason_code="matches_bank",
    )
    assert result.decided == [fine.pk]
    assert "Another moderator" in result.refused[taken.pk] and "changed" in result.refused[changed.pk]
    assert [oid for oid, action, _ in decisions() if action == ITEM_CONFIRM] == [str(fine.pk)]


@pytest.mark.parametrize(
    ("count", "decision", "code", "error"),
    [
        (0, "confirm", "matches_bank", BulkTooLarge),
        (4, "confirm", "matches_bank", BulkTooLarge),
        (2, "reopen", "matches_bank", DecisionRefused),
        (2, "confirm", "", ReasonRequired),
    ],
)
def test_refused_whole_writing_nothing(moderator, settings, count, decision, code, error):
    settings.NCII_BULK_MAX = 3
    items = open_items(count)
    before = AuditEvent.objects.count()
    with pytest.raises(error):
        review_decide_bulk(moderator=moderator, items={i.pk: None for i in items}, decision=decision, reason_code=code)
    assert AuditEvent.objects.count() == before


# --- the pages ----------------------------------------------------------------------------


def test_the_queue_offers_ticking_items_for_a_bulk_decision(moderator):
    (item,) = open_items(1)
    page = signed_in(moderator).get(reverse("moderation:queue")).content.decode()
    assert f'<form id="bulk-select" class="bulk-select" method="get" action="{BULK}">' in page
    assert f'name="item" value="{item.pk}" form="bulk-select"' in page


def test_the_bulk_page_shows_previews_and_match_data(moderator):
    with_image, plain = open_items(2)
    report = with_image.memberships.get().report
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(encode(photo_like(1, (256, 192)))), width=256, height=192
    )
    response = signed_in(moderator).get(BULK, {"item": [with_image.pk, plain.pk]})
    page = response.content.decode()
    assert response.status_code == 200 and "Decide 2 items together" in page
    assert f'src="{reverse("moderation:report-image", args=[with_image.pk, report.pk])}"' in page
    assert "?view=" not in page  # previews only, blurred
    assert f'name="item" value="{with_image.pk}:1"' in page and f'name="item" value="{plain.pk}:1"' in page
    assert [i.best_distance for i in response.context["items"]] == [0, 0]
    assert not AuditEvent.objects.filter(action=IMAGE_REVEALED).exists()


def post(client, items, step, **fields):  # type: ignore[no-untyped-def]
    data = {
        "item": [f"{i.pk}:{i.version}" for i in items],
        "decision": "confirm",
        "reason_code": "matches_bank",
        "note": "",
        "note_visibility": "internal",
        "step": step,
    } | fields
    return client.post(BULK, data)


def test_preview_asks_to_confirm_the_count_then_applies(moderator):
    items = open_items(3)
    client = signed_in(moderator)
    preview = post(client, items, "preview")
    page = preview.content.decode()
    assert preview.status_code == 200 and "Confirm 3 items?" in page
    assert 'name="confirm_count" value="3"' in page and "Yes, confirm 3 items" in page
    assert decisions() == []  # nothing yet
    done = post(client, items, "apply", confirm_count=3)
    assert "3 items confirmed" in done.content.decode()
    assert [oid for oid, *_ in decisions()] == [str(i.pk) for i in items]


def test_apply_without_the_confirmed_count_only_asks_again(moderator):
    items = open_items(2)
    client = signed_in(moderator)
    page = post(client, items, "apply", confirm_count=5).content.decode()
    assert "Confirm 2 items?" in page and decisions() == []
    assert "Confirm 2 items?" in post(client, items, "apply").content.decode()


def test_an_item_changed_since_the_page_is_refused_and_reported(moderator, senior):
    stale, fine = open_items(2)
    client = signed_in(moderator)
    post(client, [stale, fine], "preview")
    review_decide(moderator=senior, item_id=stale.pk, decision="dismiss", reason_code="different_image")
    page = post(client, [stale, fine], "apply", confirm_count=2).content.decode()
    assert "1 item confirmed, 1 refused" in page and "Someone else changed this item" in page
    assert ReviewItem.objects.get(pk=stale.pk).state == ReviewState.DISMISSED


def test_an_incomplete_reason_is_refused_before_the_confirmation(moderator):
    items = open_items(2)
    response = post(signed_in(moderator), items, "preview", reason_code="other", note="")
    assert response.status_code == 400 and "needs a note" in response.content.decode()
    response = post(signed_in(moderator), items, "preview", decision="")
    assert response.status_code == 400 and "Choose the decision" in response.content.decode()


def test_going_back_keeps_the_choices(moderator):
    items = open_items(2)
    page = post(signed_in(moderator), items, "choose", note="kept words").content.decode()
    assert "kept words" in page and "Preview the decision for 2 items" in page


def test_the_cap(moderator, settings):
    settings.NCII_BULK_MAX = 2
    items = open_items(3)
    response = signed_in(moderator).get(BULK, {"item": [i.pk for i in items]})
    assert response.status_code == 400
    assert (
        "Choose between 1 and 2 items" in response.content.decode()
        and '<form method="post"' not in response.content.decode()
    )
    assert signed_in(moderator).get(BULK).status_code == 400
    assert signed_in(moderator).get(BULK, {"item": "x"}).status_code == 400


def test_a_foreign_item_makes_the_selection_404(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    own, foreign = item_open(ours), item_open(theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    assert client.get(BULK, {"item": [own.pk]}).status_code == 200
    assert client.get(BULK, {"item": [own.pk, foreign.pk]}).status_code == 404
    assert post(client, [own, foreign], "apply", confirm_count=2).status_code == 404
    assert decisions() == []


def test_bulk_is_for_reviewers(caseworker):
    (item,) = open_items(1)
    assert signed_in(caseworker).get(BULK, {"item": [item.pk]}).status_code == 403


def test_a_moderator_cannot_bulk_decide_escalated_items(moderator):
    items = open_items(2)
    ReviewItem.objects.filter(pk=items[0].pk).update(state=ReviewState.ESCALATED)
    items = [ReviewItem.objects.get(pk=i.pk) for i in items]
    page = post(signed_in(moderator), items, "apply", confirm_count=2).content.decode()
    assert "1 item confirmed, 1 refused" in page and "Your role may not" in page


def test_bulk_page_queries_do_not_grow_with_items(moderator):
    items = open_items(12)
    for item in items[::2]:
        report = item.memberships.get().report
        ReviewImage.objects.create(report=report, ciphertext=b"x", width=1, height=1)
    client = signed_in(moderator)
    two = query_count(lambda: client.get(BULK, {"item": [i.pk for i in items[:2]]}))
    assert query_count(lambda: client.get(BULK, {"item": [i.pk for i in items]})) == two
    page = client.get(BULK, {"item": [i.pk for i in items]}).content.decode()
    assert len(re.findall(r'class="review-thumb"', page)) == 6
