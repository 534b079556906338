from celery import shared_task
from django.conf import settings

from matching.index_builder import index_build
from matching.review_uploads import uploads_purge
from matching.upkeep import reports_rehash, reports_sweep, review_images_purge


@shared_task(name="matching.reports_sweep")
def reports_sweep_task() -> int:
    uploads_purge(max_age_seconds=settings.NCII_UPLOAD_MAX_AGE_SECONDS)
    return reports_sweep(older_than_seconds=settings.NCII_SWEEP_AFTER_SECONDS)


@shared_task(name="matching.review_images_purge")
def review_images_purge_task() -> int:
    return review_images_purge(grace_seconds=settings.NCII_REVIEW_IMAGE_GRACE_SECONDS)


@shared_task(name="matching.reports_rehash", acks_late=True)
def reports_rehash_task(report_ids: list[int]) -> int:
    return reports_rehash(report_ids=report_ids)


@shared_task(name="matching.index_build", ignore_result=True)
def index_build_task(if_changed: bool = True) -> str:
    return index_build(if_changed=if_changed).status
