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
from matching.models import IdempotencyRecord, MatchReport, SandboxReport
from moderation.models import ReviewItem
from partners.models import PartnerUsage
from partners.webhook_models import WebhookDelivery, WebhookEndpoint
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
        "sandbox_report": 0,
        "webhook_delivered": 0,
        "webhook_dropped": 0,
    }
    assert batches("review_note")[0].after["ids"] == [item.pk]
    erased_text = ("@someone", "looked like her", "shared note")
    trail = str(list(AuditEvent.objects.filter(action=RETENTION_ERASED).values_list("reason", "before", "after")))
    assert not any(text in trail for text in erased_text)
    assert audit_chain_verify()[1] is None


def delivery(endpoint: WebhookEndpoint, status: str, *, made_days_ago: int, delivered_days_ago: int | None = None):  # type: ignore[no-untyped-def]
    made = timezone.now() - timedelta(days=made_days_ago)
    delivered = None if delivered_days_ago is None else timezone.now() - timedelta(days=delivered_days_ago)
    payload = {"event": "report.decided", "data": {"contentId": "post-8812", "decisionNote": "shared note"}}
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="report.decided",
        payload=payload,
        status=status,
        next_attempt_at=made,
        created_at=made,
        delivered_at=delivered,
    )


def test_webhook_deliveries_go_after_their_periods_and_pending_ones_stay(db):
    endpoint = WebhookEndpoint.objects.create(partner=PartnerFactory(), url="https://hooks.example/", events=["*"])
    delivered_old = delivery(endpoint, "delivered", made_days_ago=40, delivered_days_ago=31)
    delivered_young = delivery(endpoint, "delivered", made_days_ago=40, delivered_days_ago=29)
    dropped_old = delivery(endpoint, "dropped", made_days_ago=91)
    dropped_young = delivery(endpoint, "dropped", made_days_ago=31)  # still replayable
    pending_old = delivery(endpoint, "pending", made_days_ago=800)  # still owed to the partner
    replaying = delivery(endpoint, "pending", made_days_ago=0, delivered_days_ago=400)  # an admin's replay

    done = retention_purge_task()

    assert (done["webhook_delivered"], done["webhook_dropped"]) == (1, 1)
    kept = {delivered_young.pk, dropped_young.pk, pending_old.pk, replaying.pk}
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == kept
    assert batches("webhook_delivered")[0].after["ids"] == [delivered_old.pk]
    assert batches("webhook_dropped")[0].after["ids"] == [dropped_old.pk]
    trail = str(list(AuditEvent.objects.filter(action=RETENTION_ERASED).values_list("reason", "before", "after")))
    assert "post-8812" not in trail and "shared note" not in trail
    assert audit_chain_verify()[1] is None


def test_sandbox_reports_go_after_a_week(db):
    partner = PartnerFactory()
    fields = {"signal_type": "VideoMD5", "hash_value": "a" * 32, "sandbox_hash": "a" * 32, "distance": 0}
    old, young = (
        SandboxReport.objects.create(
            partner=partner, content_id=f"test-{n}", outcome="confirmed", decided_at=timezone.now(), **fields
        )
        for n in "ab"
    )
    aged(SandboxReport, old.pk, received_at=timezone.now() - timedelta(days=8))
    aged(SandboxReport, young.pk, received_at=timezone.now() - timedelta(days=6))

    assert retention_purge_task()["sandbox_report"] == 1
    assert list(SandboxReport.objects.values_list("pk", flat=True)) == [young.pk]
    [batch] = batches("sandbox_report")
    assert (batch.after["ids"], batch.after["count"], batch.object_type) == ([old.pk], 1, "matching.sandboxreport")
    assert "test-a" not in str(batch.after)


def test_work_per_run_is_bounded_and_the_rest_waits_for_the_next_run(db, settings, long_ago):
    settings.NCII_RETENTION_BATCH_SIZE, settings.NCII_RETENTION_BATCHES_PER_RUN = 2, 2
    partner = PartnerFactory()
    endpoint = WebhookEndpoint.objects.create(partner=partner, url="https://hooks.example/", events=["*"])
    for i in range(7):
        IdempotencyRecord.objects.create(partner=partner, key=f"k{i}", request_digest="d", created_at=long_ago)
        delivery(endpoint, "delivered", made_days_ago=800, delivered_days_ago=800)

    first, second = retention_purge_task(), retention_purge_task()

    for kind in ("idempotency_record", "webhook_delivered"):
        assert (first[kind], second[kind]) == (4, 3)
        assert [e.after["count"] for e in batches(kind)] == [2, 2, 2, 1]
    assert not IdempotencyRecord.objects.exists() and not WebhookDelivery.objects.exists()


def test_nothing_due_writes_no_audit_event(db):
    retention_purge_task()

    assert not AuditEvent.objects.filter(action=RETENTION_ERASED).exists()
