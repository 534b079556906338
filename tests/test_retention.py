"""Beat's retention task: each kind of data is erased once its period has passed, in bounded
batches, each batch one audit event with ids and counts (never the content); the chain still
verifies afterwards."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import RETENTION_ERASED, Actor
from cases.audit_events import CASE_ERASED
from cases.models import Case, CaseNote
from cases.services import HashInput, case_create, case_note_add, case_withdraw
from hub.tasks import retention_purge_task
from matching.models import IdempotencyRecord, MatchReport
from moderation.models import ReviewItem
from partners.models import PartnerUsage
from tests.factories import PartnerFactory, item_open, random_pdq

DAY = 86400


def batches(kind: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(action=RETENTION_ERASED) if e.after["kind"] == kind]


def aged(model, pk: int, **fields: object) -> None:  # type: ignore[no-untyped-def]
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def long_ago():  # type: ignore[no-untyped-def]
    return timezone.now() - timedelta(days=800)


def test_a_case_withdrawn_past_its_period_is_erased_and_a_recent_one_kept(db, caseworker, settings, long_ago):
    settings.NCII_RETENTION_WITHDRAWN_CASE_SECONDS = 30 * DAY
    old, recent = (case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())[0] for _ in "ab")
    for case in (old, recent):
        case_note_add(case_id=case.pk, author=caseworker, body="Called back twice.")
        case_withdraw(case_id=case.pk, actor=Actor.public())
    aged(Case, old.pk, withdrawn_at=timezone.now() - timedelta(days=31))

    done = retention_purge_task()

    assert done["withdrawn_case"] == 1
    assert not CaseNote.objects.filter(case=old).exists() and not old.hash_links.exists()
    assert CaseNote.objects.filter(case=recent).exists() and recent.hash_links.exists()
    [case_event] = AuditEvent.objects.filter(action=CASE_ERASED)
    assert case_event.actor_label == "retention" and case_event.reason.startswith("retention: withdrawn before")
    [batch] = batches("withdrawn_case")
    assert batch.after["ids"] == [old.pk] and batch.after["count"] == 1


def test_report_context_review_notes_usage_and_idempotency_go_after_their_periods(db, moderator, long_ago):
    partner = PartnerFactory()
    item = item_open(partner)
    report = MatchReport.objects.get(membership__item=item)
    aged(MatchReport, report.pk, context="posted by user @someone", decision_note="shared note", decided_at=long_ago)
    aged(ReviewItem, item.pk, decision_note="looked like her", decided_at=long_ago, state="confirmed")
    fresh = item_open(partner)
    aged(ReviewItem, fresh.pk, decision_note="keep me", decided_at=timezone.now(), state="confirmed")
    PartnerUsage.objects.create(partner=partner, day=long_ago.date(), kind="fetch", calls=3)
    PartnerUsage.objects.create(partner=partner, day=timezone.now().date(), kind="fetch", calls=5)
    IdempotencyRecord.objects.create(partner=partner, key="old", request_digest="d", created_at=long_ago)
    IdempotencyRecord.objects.create(partner=partner, key="new", request_digest="d", created_at=timezone.now())

    done = retention_purge_task()

    report.refresh_from_db()
    assert (report.context, report.decision_note, report.outcome) == ("", "", report.outcome)
    assert ReviewItem.objects.get(pk=item.pk).decision_note == ""
    assert ReviewItem.objects.get(pk=fresh.pk).decision_note == "keep me"
    assert list(PartnerUsage.objects.values_list("calls", flat=True)) == [5]
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert done | {"withdrawn_case": 0} == {
        "withdrawn_case": 0,
        "report_context": 1,
        "review_note": 1,
        "report_decision_note": 1,
        "partner_usage": 1,
        "idempotency_record": 1,
    }
    assert batches("review_note")[0].after["ids"] == [item.pk]
    erased_text = ("@someone", "looked like her", "shared note")
    trail = str(list(AuditEvent.objects.filter(action=RETENTION_ERASED).values_list("reason", "before", "after")))
    assert not any(text in trail for text in erased_text)
    assert audit_chain_verify()[1] is None


def test_work_per_run_is_bounded_and_the_rest_waits_for_the_next_run(db, settings, long_ago):
    settings.NCII_RETENTION_BATCH_SIZE, settings.NCII_RETENTION_BATCHES_PER_RUN = 2, 2
    partner = PartnerFactory()
    for i in range(7):
        IdempotencyRecord.objects.create(partner=partner, key=f"k{i}", request_digest="d", created_at=long_ago)

    first = retention_purge_task()["idempotency_record"]
    second = retention_purge_task()["idempotency_record"]

    assert (first, second) == (4, 3)
    assert not IdempotencyRecord.objects.exists()
    assert [e.after["count"] for e in batches("idempotency_record")] == [2, 2, 2, 1]


def test_nothing_due_writes_no_audit_event(db):
    retention_purge_task()

    assert not AuditEvent.objects.filter(action=RETENTION_ERASED).exists()
