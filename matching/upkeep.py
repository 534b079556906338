"""Upkeep that beat runs on the report pipeline: re-enqueue reports still owed to triage,
delete review derivatives past their grace period, erase report contexts, idempotency
records and sandbox reports past their retention, and re-hash stored derivatives after a
hashing upgrade."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.retention import retention_batch, retention_delete
from audit.services import Actor, audit_record, audit_record_atomic
from matching.audit_events import IDEMPOTENCY_RECORD, IMAGE_PURGED, MATCH_REPORT, REPORTS_REHASHED, SANDBOX_REPORT
from matching.crypto import image_decrypt
from matching.images import HASH_VERSION, derivative_hashes
from matching.intake import report_enqueue
from matching.models import IdempotencyRecord, MatchReport, ReviewImage, SandboxReport


def reports_sweep(*, older_than_seconds: int, limit: int = 1000) -> int:
    """Re-enqueue reports still waiting for triage: the database, not the broker, is the
    record of what is owed (a crash between commit and publish, or the broker down). A report
    is handed over again only once ``older_than_seconds`` have passed since it was last
    handed over, so a stopped worker does not come back to a pile of copies of its tasks."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    due = MatchReport.objects.filter(status=MatchReport.Status.RECEIVED, received_at__lt=cutoff).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff)
    )
    with transaction.atomic():
        ids = list(due.select_for_update(skip_locked=True).order_by("received_at").values_list("pk", flat=True)[:limit])
        MatchReport.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    _publish(ids)
    return len(ids)


def _publish(ids: list[int]) -> None:
    for done, report_id in enumerate(ids):
        try:
            report_enqueue(report_id)
        except Exception:
            MatchReport.objects.filter(pk__in=ids[done:]).update(enqueued_at=None)  # due again next sweep
            raise


def review_images_purge(*, grace_seconds: int, limit: int = 1000) -> int:
    """Delete the derivatives of decided reports once the grace period has passed."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    decided = [MatchReport.Outcome.CONFIRMED, MatchReport.Outcome.DISMISSED]
    due = ReviewImage.objects.filter(report__outcome__in=decided, report__decided_at__lt=cutoff)
    purged = 0
    for image_id, report_id in due.values_list("pk", "report_id")[:limit]:
        with transaction.atomic():
            if ReviewImage.objects.filter(pk=image_id).delete()[0]:
                audit_record(
                    actor=Actor.system("purge"),
                    action=IMAGE_PURGED,
                    object_type=MATCH_REPORT,
                    object_id=report_id,
                )
                purged += 1
    return purged


def reports_rehash(*, report_ids: list[int]) -> int:
    """Re-run hashing on stored derivatives (after a hashing upgrade). Only the derivative
    is left, so the results are marked as such; the claim checks made at intake stand."""
    done: set[int] = set()
    images = ReviewImage.objects.filter(report_id__in=report_ids).order_by("report_id", "-position")
    for image in images:  # a report's first keyframe last: its hashes are the report's
        hashes = derivative_hashes(image_decrypt(image.ciphertext))
        ReviewImage.objects.filter(pk=image.pk).update(pdq=hashes.pdq)
        MatchReport.objects.filter(pk=image.report_id).update(
            content_pdq=hashes.pdq,
            content_quality=hashes.quality,
            content_phash=hashes.phash,
            hash_version=HASH_VERSION,
            hashed_from_derivative=True,
        )
        done.add(image.report_id)
    if done:
        audit_record_atomic(
            actor=Actor.system("rehash"),
            action=REPORTS_REHASHED,
            object_type=MATCH_REPORT,
            object_id="batch",
            after={"reports": len(done), "hash_version": HASH_VERSION},
        )
    return len(done)


def reports_needing_rehash(*, everything: bool = False) -> list[int]:
    reports = MatchReport.objects.filter(review_images__isnull=False)
    if not everything:
        reports = reports.filter(hash_version__lt=HASH_VERSION)
    return list(reports.order_by("pk").values_list("pk", flat=True).distinct())


def report_contexts_erase(*, cutoff: datetime, limit: int) -> int:
    """Blank the free-text context partners sent with reports decided before ``cutoff``."""
    due = MatchReport.objects.filter(decided_at__lt=cutoff).exclude(context="")
    return retention_batch(
        due=due,
        erase=lambda rows: rows.update(context=""),
        kind="report_context",
        object_type=MATCH_REPORT,
        cutoff=cutoff,
        limit=limit,
    )


def report_decision_notes_erase(*, cutoff: datetime, limit: int) -> int:
    """Blank the decision notes shared with partners on reports decided before ``cutoff``."""
    due = MatchReport.objects.filter(decided_at__lt=cutoff).exclude(decision_note="")
    return retention_batch(
        due=due,
        erase=lambda rows: rows.update(decision_note=""),
        kind="report_decision_note",
        object_type=MATCH_REPORT,
        cutoff=cutoff,
        limit=limit,
    )


def idempotency_records_purge(*, cutoff: datetime, limit: int) -> int:
    """Delete Idempotency-Key records made before ``cutoff`` (a retry that late is a new report)."""
    due = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    return retention_delete(
        due=due, kind="idempotency_record", object_type=IDEMPOTENCY_RECORD, cutoff=cutoff, limit=limit
    )


def sandbox_reports_purge(*, cutoff: datetime, limit: int) -> int:
    """Delete sandbox reports received before ``cutoff``: decided at once, they serve only the
    partner's integration test (they never carry an image; nothing else refers to them)."""
    due = SandboxReport.objects.filter(received_at__lt=cutoff)
    return retention_delete(due=due, kind="sandbox_report", object_type=SANDBOX_REPORT, cutoff=cutoff, limit=limit)
