from typing import Any

from celery import Task, shared_task
from django.conf import settings

from matching.intake import report_mark_failed
from matching.review_uploads import upload_decode
from moderation.deadlines import deadline_alerts_send
from moderation.services import claims_expire
from moderation.triage import report_triage


@shared_task(name="moderation.report_process", bind=True, max_retries=settings.NCII_TASK_MAX_RETRIES)
def report_process(self: Task, report_id: int) -> None:
    """Decode the report's review image (in a bounded subprocess), then triage it. Failures
    retry with exponential backoff; after the last one the report is marked failed for staff
    to see and retry."""
    try:
        report_triage(report_id=report_id, decoded=upload_decode(report_id=report_id))
    except Exception as exc:
        if self.request.retries >= (self.max_retries or 0):
            report_mark_failed(report_id=report_id, error=exc)
            return
        countdown = min(settings.NCII_TASK_RETRY_MAX_SECONDS, 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="moderation.claims_expire")
def claims_expire_task() -> Any:
    return claims_expire()


@shared_task(name="moderation.deadline_alerts")
def deadline_alerts_task() -> bool:
    """The on-call digest of items near or past their decision deadline (if one is due)."""
    return deadline_alerts_send() is not None
