from datetime import UTC

from celery import shared_task
from django.utils import timezone

from hub.retention import retention_purge
from hub.rollups import metrics_rollup_build, rollup_cutoff
from hub.transparency import figures_reset


@shared_task(name="hub.metrics_rollup")
def metrics_rollup_task() -> int:
    """Rebuild the metrics page's daily rollup (hub.rollups) once a UTC day; beat asks
    hourly. A missed run only lengthens the live tail the page counts."""
    if rollup_cutoff() == timezone.now().astimezone(UTC).date():
        return 0
    rows = metrics_rollup_build()
    figures_reset()
    return rows


@shared_task(name="hub.retention_purge")
def retention_purge_task() -> dict[str, int]:
    """Beat, every NCII_RETENTION_EVERY_SECONDS: erase what passed its retention period."""
    return retention_purge()
