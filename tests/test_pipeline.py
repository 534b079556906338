"""The worker's reliability: retries then a visible failed state, the sweeper, lease expiry,
derivative purge, and who may see review images."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from audit.models import AuditEvent
from matching.audit_events import IMAGE_PURGED, REPORT_FAILED, REPORT_RETRIED
from matching.crypto import image_encrypt
from matching.intake import report_mark_failed
from matching.models import MatchReport, ReviewImage
from matching.upkeep import reports_sweep, review_images_purge
from moderation import tasks, triage
from moderation.audit_events import IMAGE_REVEALED, ITEM_CLAIM_EXPIRED
from moderation.models import ReviewItem
from moderation.services import claims_expire, review_claim_next, review_decide
from ncii_site.celery import app as celery_app
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, item_open, report_for
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_retries():  # type: ignore[no-untyped-def]
    """In-process, Celery runs a task's retries at once, if errors do not propagate."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def test_a_report_that_keeps_failing_is_parked_as_failed_then_retried(
    moderator, monkeypatch, settings, eager_retries, django_capture_on_commit_callbacks
):
    report = report_for(PartnerFactory(), BankHashFactory())
    real_triage, calls = triage.report_triage, []

    def broken(*, report_id: int, **_: object) -> None:  # the database refuses, every time
        calls.append(report_id)
        raise RuntimeError("database went away")

    monkeypatch.setattr(tasks, "report_triage", broken)
    tasks.report_process.delay(report.pk)
    report.refresh_from_db()
    assert len(calls) == settings.NCII_TASK_MAX_RETRIES + 1
    assert (report.status, report.last_error) == ("failed", "RuntimeError: database went away")
    assert AuditEvent.objects.filter(action=REPORT_FAILED, object_id=str(report.pk)).count() == 1

    client = signed_in(moderator)
    page = client.get("/dashboard/failed/")
    assert f"#{report.pk}" in page.content.decode() and "database went away" in page.content.decode()
    monkeypatch.setattr(tasks, "report_triage", real_triage)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/failed/", {"report": report.pk}, follow=True)
    assert "queued again" in response.content.decode()
    report.refresh_from_db()
    assert report.status == "processed" and ReviewItem.objects.count() == 1
    assert AuditEvent.objects.filter(action=REPORT_RETRIED, actor_user=moderator).count() == 1


def test_retrying_a_report_that_is_not_failed_changes_nothing(moderator):
    item = item_open(PartnerFactory())
    client = signed_in(moderator)
    before = AuditEvent.objects.count()
    response = client.post("/dashboard/failed/", {"report": item.memberships.get().report_id}, follow=True)
    assert "not waiting for a retry" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_the_sweeper_requeues_reports_stuck_in_received():
    stuck = report_for(PartnerFactory(), BankHashFactory())
    fresh = report_for(PartnerFactory(), BankHashFactory(), content_id="new")
    MatchReport.objects.filter(pk=stuck.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    assert reports_sweep(older_than_seconds=60) == 1  # eager in tests: triaged at once
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.status, fresh.status) == ("processed", "received")
    assert reports_sweep(older_than_seconds=60) == 0


def test_expired_claims_are_released_and_recorded(moderator):
    item = item_open(PartnerFactory())
    review_claim_next(moderator=moderator)
    assert claims_expire() == 0
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=1))
    assert claims_expire() == 1
    item.refresh_from_db()
    assert item.claimed_by is None
    event = AuditEvent.objects.get(action=ITEM_CLAIM_EXPIRED)
    assert event.before == {"claimed_by": moderator.pk} and event.actor_type == "system"


def _item_with_image(partner=None):  # type: ignore[no-untyped-def]
    item = item_open(partner or PartnerFactory())
    report = item.memberships.get().report
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(encode(photo_like(1, (512, 384)))), width=512, height=384
    )
    return item, report


def test_derivatives_are_deleted_after_the_decision_and_its_grace_period(moderator):
    item, report = _item_with_image()
    pending_item, _ = _item_with_image()
    assert review_images_purge(grace_seconds=0) == 0  # nothing decided yet
    review_decide(moderator=moderator, item_id=item.pk, decision="dismiss", reason_code="other", note="not a match")
    assert review_images_purge(grace_seconds=3600) == 0  # still within the grace period
    assert review_images_purge(grace_seconds=-1) == 1
    assert not ReviewImage.objects.filter(report=report).exists()
    assert ReviewImage.objects.filter(report__membership__item=pending_item).exists()
    assert AuditEvent.objects.filter(action=IMAGE_PURGED, object_id=str(report.pk)).count() == 1


def test_review_images_are_blurred_unless_revealed_and_never_cached(moderator):
    item, report = _item_with_image()
    client = signed_in(moderator)
    url = f"/dashboard/items/{item.pk}/reports/{report.pk}/image"
    blurred = client.get(url)
    assert blurred.status_code == 200 and blurred["Cache-Control"] == "no-store, private"
    assert Image.open(io.BytesIO(blurred.content)).mode == "L"  # greyscale
    assert not AuditEvent.objects.filter(action=IMAGE_REVEALED).exists()
    revealed = client.get(url + "?reveal=1")
    assert Image.open(io.BytesIO(revealed.content)).mode == "RGB"
    assert AuditEvent.objects.get(action=IMAGE_REVEALED).actor_user == moderator
    assert f'src="{url}"' in client.get(f"/dashboard/items/{item.pk}/").content.decode()


def test_review_images_are_only_for_staff_allowed_to_see_the_report(db):
    own, other = PartnerFactory(), PartnerFactory()
    item, report = _item_with_image(other)
    url = f"/dashboard/items/{item.pk}/reports/{report.pk}/image"
    scoped = UserFactory(role="moderator", partner=own)
    caseworker = UserFactory(role="caseworker")
    for user, status in [(scoped, 404), (caseworker, 403)]:
        client = signed_in(user)
        assert client.get(url).status_code == status
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_a_purged_image_is_gone(moderator):
    item, report = _item_with_image()
    ReviewImage.objects.filter(report=report).delete()
    client = signed_in(moderator)
    assert client.get(f"/dashboard/items/{item.pk}/reports/{report.pk}/image").status_code == 404


def test_beat_runs_the_sweeper_lease_expiry_and_purge(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks_scheduled == {
        "matching.reports_sweep",
        "moderation.claims_expire",
        "matching.review_images_purge",
        "hub.metrics_rollup",
        "audit.checkpoint",
        "matching.index_build",
        "partners.webhooks_sweep",
        "moderation.deadline_alerts",
        "hub.retention_purge",
    }
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_failed_report_actor_is_the_system():
    report = report_for(PartnerFactory(), BankHashFactory())
    report_mark_failed(report_id=report.pk, error=ValueError("x"))
    assert AuditEvent.objects.get(action=REPORT_FAILED).actor_type == "system"
