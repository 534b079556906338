"""The sweeper hands a waiting report to the broker again only once the sweep window has
passed since it last did: five sweeps while the worker is away publish one copy, not five.
Tasks go to Celery's in-memory broker here (nobody consumes them) and are counted as
Celery publishes them."""

from collections import Counter
from datetime import timedelta

import pytest
from celery.signals import before_task_publish
from django.utils import timezone

from audit.services import Actor
from matching.intake import report_retry
from matching.models import MatchReport
from matching.upkeep import reports_sweep
from ncii_site.celery import app as celery_app
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, report_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """Report ids of the triage tasks published, with the worker away (nothing consumes)."""
    counts: Counter[int] = Counter()

    def count(sender: str, headers: dict, **kwargs: object) -> None:
        if sender == "moderation.report_process":
            counts[int(headers["argsrepr"].strip("(),"))] += 1

    before_task_publish.connect(count, weak=False)
    celery_app.conf.task_always_eager = False
    yield counts
    before_task_publish.disconnect(count)


def waiting_reports(n: int, minutes_old: int = 5) -> list[MatchReport]:
    reports = [report_for(PartnerFactory(), BankHashFactory(), content_id=f"c-{i}") for i in range(n)]
    old = timezone.now() - timedelta(minutes=minutes_old)
    MatchReport.objects.filter(pk__in=[r.pk for r in reports]).update(received_at=old)
    return reports


def test_five_sweeps_publish_each_waiting_report_once(published):
    reports = waiting_reports(3)

    swept = [reports_sweep(older_than_seconds=60) for _ in range(5)]

    assert swept == [3, 0, 0, 0, 0]
    assert published == {r.pk: 1 for r in reports}
    assert MatchReport.objects.filter(enqueued_at__isnull=False).count() == 3


def test_a_report_still_waiting_past_the_window_is_published_again(published):
    (report,) = waiting_reports(1)
    reports_sweep(older_than_seconds=60)
    MatchReport.objects.filter(pk=report.pk).update(enqueued_at=timezone.now() - timedelta(seconds=61))

    assert reports_sweep(older_than_seconds=60) == 1
    assert published[report.pk] == 2


def test_a_fresh_report_is_left_to_its_first_task(published):
    waiting_reports(1, minutes_old=0)

    assert reports_sweep(older_than_seconds=60) == 0
    assert not published


def test_a_retried_report_is_not_swept_straight_after_its_retry(published, django_capture_on_commit_callbacks):
    (report,) = waiting_reports(1)
    MatchReport.objects.filter(pk=report.pk).update(status=MatchReport.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        report_retry(report_id=report.pk, actor=Actor.user(UserFactory()))

    assert reports_sweep(older_than_seconds=60) == 0
    assert published[report.pk] == 1  # the retry's own task
