from celery import shared_task

from audit.anchoring import audit_checkpoint_take


@shared_task(name="audit.checkpoint")
def audit_checkpoint_task() -> int:
    """Beat, every NCII_AUDIT_CHECKPOINT_SECONDS: sign the chain's head outside the database."""
    return audit_checkpoint_take().seq
