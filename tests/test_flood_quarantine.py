"""Flood quarantine (issue 14): a simulated flood of reports on one bank hash quarantines it,
puts its item at the top of the senior queue, tells partners not to act automatically, and a
senior's decision releases it or withdraws it onto the negative bank."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.exchange_selectors import fetch_page
from matching.models import BankHash, MatchReport, NegativeHash
from matching.negative_bank import KnownBenign
from matching.quarantine import QUARANTINE_TAG
from moderation.models import ReviewItem, ReviewState
from moderation.selectors import QUEUE_ORDER
from moderation.services import NotPermitted, review_decide
from moderation.triage import report_triage
from tests.api_helpers import bearer, post_json
from tests.factories import BankHashFactory, PartnerFactory, flip_bits, item_open, report_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _flood_limits(settings):
    settings.NCII_FLOOD_REPORTS = 5
    settings.NCII_FLOOD_PARTNERS = 3
    settings.NCII_FLOOD_WINDOW_SECONDS = 3600


def flood(bank_hash: BankHash, *, reports: int, partners: int, varied: bool = False) -> ReviewItem | None:
    """``reports`` reports spread over ``partners`` partners: of the same content (a blank
    frame everyone posts), or with ``varied`` each of different content."""
    sources = [PartnerFactory() for _ in range(partners)]
    item = None
    for i in range(reports):
        report = report_for(sources[i % partners], bank_hash, content_id=f"post-{i}")
        if varied:
            MatchReport.objects.filter(pk=report.pk).update(hash_value=flip_bits(bank_hash.value, i + 1))
        item = report_triage(report_id=report.pk)
    return item


def test_a_flood_quarantines_the_hash_and_escalates_its_item_to_the_top(senior):
    older = item_open(PartnerFactory(), PartnerFactory())  # an ordinary escalated item, older
    review_decide(moderator=senior, item_id=older.pk, decision="escalate", reason_code="other", note="look")
    bank = BankHashFactory()
    item = flood(bank, reports=6, partners=3)
    assert item is not None
    item.refresh_from_db()
    bank.refresh_from_db()
    assert bank.quarantined_at is not None and bank.status == BankHash.Status.ACTIVE
    assert (item.flood, item.state, item.report_count) == (True, ReviewState.ESCALATED, 6)
    queue = ReviewItem.objects.filter(state=ReviewState.ESCALATED).order_by(*QUEUE_ORDER)
    assert queue.first() == item
    assert set(MatchReport.objects.filter(bank_hash=bank).values_list("outcome", flat=True)) == {"escalated"}
    assert AuditEvent.objects.filter(action="hash.quarantined", object_id=str(bank.pk)).count() == 1
    assert AuditEvent.objects.get(action="item.flood", object_id=str(item.pk)).after["state"] == "escalated"


def test_no_flood_at_the_threshold_or_from_too_few_partners():
    at_threshold, few_partners = BankHashFactory(), BankHashFactory()
    flood(at_threshold, reports=5, partners=3)
    flood(few_partners, reports=12, partners=2)
    assert not BankHash.objects.filter(quarantined_at__isnull=False).exists()
    assert not ReviewItem.objects.filter(flood=True).exists()


def test_partners_are_told_not_to_act_automatically(partner_keys):
    _, keys = partner_keys
    bank = BankHashFactory()
    flood(bank, reports=6, partners=3)
    [record] = [r for r in fetch_page(start=0, page_size=100, token=None).records if r["hashValue"] == bank.value]
    assert record["hashStatus"] == "Active"  # the stock client still parses it
    hub = [f for f in record["CSPFeedbacks"] if QUARANTINE_TAG in f["tags"]]
    assert hub and hub[0]["feedbackValue"] == "PendingReview"
    body = {"signalType": "ImagePDQ", "hashes": [bank.value]}
    match = post_json(Client(), "/api/v1/lookup", body, **bearer(keys.api_key)).json()["results"][0]["matches"][0]
    assert match["quarantined"] is True


def test_a_flood_of_varied_content_marks_every_open_item_of_the_hash():
    bank = BankHashFactory()
    last = flood(bank, reports=6, partners=3, varied=True)
    items = ReviewItem.objects.filter(bank_hash=bank)
    assert items.count() == 5  # five contents, then the flooding report joins the oldest flood item
    assert set(items.values_list("flood", "state")) == {(True, "escalated")}
    assert last == items.order_by("pk").first()


def test_later_reports_of_a_quarantined_hash_fold_into_the_flood_item():
    bank = BankHashFactory()
    item = flood(bank, reports=6, partners=3)
    later = flood(bank, reports=3, partners=1, varied=True)
    assert later == item
    assert ReviewItem.objects.filter(bank_hash=bank).count() == 1


def test_only_a_senior_decides_a_flood_item(moderator):
    bank = BankHashFactory()
    item = flood(bank, reports=6, partners=3)
    assert item is not None
    with pytest.raises(NotPermitted):
        review_decide(moderator=moderator, item_id=item.pk, decision="dismiss", reason_code="other", note="x")


def test_confirming_a_flood_releases_the_hash(senior):
    bank = BankHashFactory()
    item = flood(bank, reports=6, partners=3)
    assert item is not None
    review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    bank.refresh_from_db()
    assert bank.quarantined_at is None and bank.status == BankHash.Status.ACTIVE
    event = AuditEvent.objects.get(action="hash.quarantine_released")
    assert event.actor_label == senior.username
    assert not NegativeHash.objects.exists()


def test_dismissing_a_flood_withdraws_the_hash_onto_the_negative_bank(senior):
    value = BankHashFactory.build().value
    case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    bank = BankHash.objects.get(value=value)
    item = flood(bank, reports=6, partners=3)
    assert item is not None
    review_decide(moderator=senior, item_id=item.pk, decision="dismiss", reason_code="other", note="a blank frame")
    bank.refresh_from_db()
    assert (bank.status, bank.quarantined_at) == (BankHash.Status.WITHDRAWN, None)
    negative = NegativeHash.objects.get(value=value)
    assert (negative.source, negative.reason) == ("flood", "a blank frame")
    assert AuditEvent.objects.filter(action="hash.flood_withdrawn", object_id=str(bank.pk)).exists()
    with pytest.raises(KnownBenign):  # it can never enter the bank again
        case_create(hashes=[HashInput("ImagePDQ", flip_bits(value, 3), 90)], actor=Actor.public())


def test_the_senior_queue_and_the_item_page_mark_the_flood(senior_client):
    from django.urls import reverse

    bank = BankHashFactory()
    item = flood(bank, reports=6, partners=3)
    assert item is not None
    queue = senior_client.get(reverse("moderation:escalations")).content.decode()
    assert "Flood</span>" in queue
    page = senior_client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert "A flood of reports quarantined this bank hash" in page
