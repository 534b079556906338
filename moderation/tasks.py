from celery import shared_task
from django.db import OperationalError

from moderation.triage import report_triage


@shared_task(
    name="moderation.report_process",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=8,
)
def report_process(report_id: int) -> None:
    report_triage(report_id=report_id)
