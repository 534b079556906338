"""Meta's own StopNCII client (threatexchange), unchanged, against the hub's /v1/ exchange."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone
from threatexchange.exchanges.clients.stopncii.api import (
    StopNCIIAPI,
    StopNCIICaseStatus,
    StopNCIICSPFeedbackValue,
    StopNCIIEndpoint,
    StopNCIISignalType,
)
from threatexchange.exchanges.collab_config import CollaborationConfigBase
from threatexchange.exchanges.impl.stop_ncii_api import StopNCIISignalExchangeAPI
from threatexchange.signal_type.pdq.signal import PdqSignal

from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.models import BankHash, MatchReport
from moderation.models import ReviewItem
from tests.factories import partner_with_keys, random_pdq

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_server):
    partner, keys = partner_with_keys("photoshare")
    partner.display_name = "PhotoShare"
    partner.save()
    return StopNCIIAPI(
        keys.subscription_key,
        keys.function_keys["FetchHashes"],
        additional_function_keys={
            StopNCIIEndpoint.SubmitFeedback: keys.function_keys["SubmitFeedback"],
            StopNCIIEndpoint.SubmitHashes: keys.function_keys["SubmitHashes"],
        },
        base_url_override=live_server.url + "/v1",
    )


def seed_bank(n: int) -> dict[tuple[str, str], BankHash]:
    """n hashes whose modification times share seconds, so pages end mid-second."""
    base = timezone.now() - timedelta(hours=2)
    rows = []
    for i in range(n):
        is_video = i % 5 == 0
        rows.append(
            BankHash(
                signal_type="VideoMD5" if is_video else "ImagePDQ",
                value=hashlib.md5(str(i).encode()).hexdigest() if is_video else random_pdq(),  # noqa: S324
                quality=None if is_video else 90,
                modified_at=base + timedelta(milliseconds=250 * (i // 3)),
            )
        )
    return {(b.signal_type, b.value): b for b in BankHash.objects.bulk_create(rows)}


def walk(client: StopNCIIAPI, start: int) -> tuple[dict, list]:
    records, pages = {}, []
    for page in client.fetch_hashes_iter(start_timestamp=start):
        pages.append(page)
        for r in page.hashRecords:
            records[(r.signalType.value, r.hashValue)] = r
    return records, pages


def test_full_walk_returns_every_hash_once_per_page_with_safe_checkpoints(client):
    bank = seed_bank(2500)
    records, pages = walk(client, StopNCIIAPI.DEFAULT_START_TIME)
    assert set(records) == set(bank)
    assert sum(p.count for p in pages) == 2500  # 800 a page: nothing repeated within a walk
    assert [p.hasMoreRecords for p in pages] == [True, True, True, False]
    checkpoints = [p.nextSetTimestamp for p in pages]
    assert checkpoints == sorted(checkpoints) and checkpoints[0] >= StopNCIIAPI.DEFAULT_START_TIME
    record = next(iter(records.values()))
    assert record.hashStatus == StopNCIICaseStatus.Active and record.CSPFeedbacks == []


def test_resuming_from_any_page_checkpoint_misses_nothing(client):
    bank = seed_bank(2000)
    _, pages = walk(client, 10)
    for page in pages:  # a walk interrupted after this page resumes from its checkpoint
        seen_before = {(r.signalType.value, r.hashValue) for p in pages[: pages.index(page) + 1] for r in p.hashRecords}
        resumed, _ = walk(client, page.nextSetTimestamp)
        assert seen_before | set(resumed) == set(bank)


def test_changes_after_a_checkpoint_are_seen_in_the_next_walk(client):
    seed_bank(50)
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    _, pages = walk(client, 10)
    checkpoint = pages[-1].nextSetTimestamp

    client.submit_feedback(StopNCIISignalType.ImagePDQ, value, StopNCIICSPFeedbackValue.Blocked, {"nudity"})
    records, _ = walk(client, checkpoint)
    assert ("ImagePDQ", value) in records
    feedback = records[("ImagePDQ", value)].CSPFeedbacks
    assert [(f.feedbackValue, f.tags, f.source) for f in feedback] == [
        (StopNCIICSPFeedbackValue.Blocked, {"nudity"}, "PhotoShare")
    ]
    assert len(records) == 1  # none of the 50 untouched hashes came back

    checkpoint = walk(client, checkpoint)[1][-1].nextSetTimestamp
    case_withdraw(case_id=case.pk, actor=Actor.public())
    records, _ = walk(client, checkpoint)
    withdrawn = records[("ImagePDQ", value)]
    assert withdrawn.hashStatus == StopNCIICaseStatus.Withdrawn
    assert withdrawn.caseNumbers == {case.reference: StopNCIICaseStatus.Withdrawn}
    assert case.number not in str(records)


def test_feedback_replaces_the_partners_previous_feedback(client):
    value = random_pdq()
    case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    client.submit_feedback(StopNCIISignalType.ImagePDQ, value, StopNCIICSPFeedbackValue.Blocked)
    client.submit_feedback(StopNCIISignalType.ImagePDQ, value, StopNCIICSPFeedbackValue.NotBlocked)
    records, _ = walk(client, 10)
    assert [f.feedbackValue for f in records[("ImagePDQ", value)].CSPFeedbacks] == [StopNCIICSPFeedbackValue.NotBlocked]


def test_pending_review_feedback_enters_the_review_queue_once(client):
    value = random_pdq()
    case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    client.submit_feedback(StopNCIISignalType.ImagePDQ, value, StopNCIICSPFeedbackValue.PendingReview)
    client.submit_feedback(StopNCIISignalType.ImagePDQ, value, StopNCIICSPFeedbackValue.PendingReview)
    report = MatchReport.objects.get()
    assert (report.channel, report.status, report.partner.name) == ("exchange", "processed", "photoshare")
    item = ReviewItem.objects.get()
    assert item.bank_hash.value == value and item.report_count == 1


def test_submitted_hashes_join_the_bank_as_the_partners(client):
    md5 = hashlib.md5(b"partner video").hexdigest()  # noqa: S324
    client.submit_hash(StopNCIISignalType.VideoMD5, md5)  # sent as "StopNCIISignalType.VideoMD5"
    bank_hash = BankHash.objects.get(value=md5)
    assert (bank_hash.signal_type, bank_hash.source, bank_hash.source_name) == ("VideoMD5", "partner", "photoshare")
    records, _ = walk(client, 10)
    assert [f.feedbackValue for f in records[("VideoMD5", md5)].CSPFeedbacks] == [StopNCIICSPFeedbackValue.Blocked]


def test_the_threatexchange_adapter_parses_the_feed(client):
    value = random_pdq()
    case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    collab = CollaborationConfigBase("hub", StopNCIISignalExchangeAPI.get_name(), True)
    adapter = StopNCIISignalExchangeAPI(collab, client)
    deltas = list(adapter.fetch_iter([PdqSignal], None))
    assert (PdqSignal.get_name(), value) in deltas[0].updates
    assert deltas[-1].checkpoint.update_time >= 10
