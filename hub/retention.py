"""Retention: beat's hub.retention_purge erases each kind of data once its period (a setting,
README "What the hub holds") has passed. Work per run is bounded: at most
NCII_RETENTION_BATCHES_PER_RUN batches of NCII_RETENTION_BATCH_SIZE rows per kind; what is
left waits for the next run. Each app erases its own data; each batch is an audit event."""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cases.services import withdrawn_cases_erase
from matching.upkeep import (
    idempotency_records_purge,
    report_contexts_erase,
    report_decision_notes_erase,
    sandbox_reports_purge,
)
from moderation.retention import review_notes_erase
from partners.usage import usage_purge
from partners.webhook_delivery import delivered_webhooks_purge, dropped_webhooks_purge

Eraser = Callable[..., int]

# kind -> (the setting holding its period in seconds, the app's eraser)
RETENTION_KINDS: dict[str, tuple[str, Eraser]] = {
    "withdrawn_case": ("NCII_RETENTION_WITHDRAWN_CASE_SECONDS", withdrawn_cases_erase),
    "report_context": ("NCII_RETENTION_REPORT_CONTEXT_SECONDS", report_contexts_erase),
    "review_note": ("NCII_RETENTION_REVIEW_NOTE_SECONDS", review_notes_erase),
    "report_decision_note": ("NCII_RETENTION_REVIEW_NOTE_SECONDS", report_decision_notes_erase),
    "partner_usage": ("NCII_RETENTION_PARTNER_USAGE_SECONDS", usage_purge),
    "idempotency_record": ("NCII_RETENTION_IDEMPOTENCY_SECONDS", idempotency_records_purge),
    "sandbox_report": ("NCII_RETENTION_SANDBOX_REPORT_SECONDS", sandbox_reports_purge),
    "webhook_delivered": ("NCII_RETENTION_WEBHOOK_DELIVERED_SECONDS", delivered_webhooks_purge),
    "webhook_dropped": ("NCII_RETENTION_WEBHOOK_DROPPED_SECONDS", dropped_webhooks_purge),
}


def retention_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Erase what passed its period; returns how many rows each kind lost this run."""
    now = now or timezone.now()
    size, batches = settings.NCII_RETENTION_BATCH_SIZE, settings.NCII_RETENTION_BATCHES_PER_RUN
    done: dict[str, int] = {}
    for kind, (setting, erase) in RETENTION_KINDS.items():
        cutoff = now - timedelta(seconds=getattr(settings, setting))
        done[kind] = 0
        for _ in range(batches):
            count = erase(cutoff=cutoff, limit=size)
            done[kind] += count
            if count < size:
                break
    return done
