from celery import current_app, shared_task

from partners.webhook_delivery import webhook_deliver, webhooks_due
from partners.webhooks import WEBHOOK_TASK


@shared_task(name=WEBHOOK_TASK, acks_late=True)
def webhook_deliver_task(delivery_id: int) -> str | None:
    return webhook_deliver(delivery_id=delivery_id)


@shared_task(name="partners.webhooks_sweep")
def webhooks_sweep_task() -> int:
    """Send what is due: retries after their backoff, and any delivery whose task was lost."""
    due = webhooks_due()
    for pk in due:
        current_app.tasks[WEBHOOK_TASK].delay(pk)
    return len(due)
