"""The metrics page's daily rollup: built by beat, it gives the live figures (counts exactly;
decision-time percentiles within the 2% of its histogram buckets), and rows since its cutoff
are counted live, so the page is right between builds."""

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest

from audit.services import Actor, audit_record_atomic
from cases.models import Case
from hub import metrics
from hub.metrics import metrics_compute
from hub.models import MetricsDay
from hub.rollups import metrics_rollup_build, rollup_cutoff
from hub.tasks import metrics_rollup_task
from matching.models import BankHash
from moderation.audit_events import IMAGE_REVEALED
from tests.factories import PartnerFactory, UserFactory
from tests.test_metrics import bank_hashes, item, reported

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def a_year_of_activity() -> None:
    partners = [PartnerFactory(display_name=name) for name in ("Big", "Mid", "Small")]
    for n, days in enumerate((0.1, 1.5, 6, 13, 40, 85, 200, 400, 800)):
        today_too(partners[n % 3], at=ago(days=days), n=n)
    moderator = UserFactory(username="mira")
    for n, days in enumerate((0.2, 5, 29.5, 30.5, 45)):  # around the 30 days' partial first day
        with patch("audit.services.timezone.now", return_value=ago(days=days)):  # the trail is append-only
            audit_record_atomic(actor=Actor.user(moderator), action=IMAGE_REVEALED, object_type="x", object_id=n)


def today_too(partner, at: datetime, n: int, withdrawn_after: timedelta = timedelta(days=30)) -> None:  # type: ignore[no-untyped-def]
    bank_hashes(n % 3 + 1, created=at)
    bank_hashes(1, created=at - withdrawn_after, status="Withdrawn", modified_at=at)
    case = Case.objects.create(number=f"N{n}-{at.timestamp()}", reference=f"R{n}-{at.timestamp()}", pin_hash="x")
    Case.objects.filter(pk=case.pk).update(created_at=at)
    reported(partner, at)
    item("confirmed", at - timedelta(hours=n + 1), at)
    item("dismissed", at - timedelta(minutes=30 * n + 5), at)
    item("pending", at)


def assert_same_figures(now: datetime) -> None:
    live = {name: compute(now) for name, compute in metrics.FIGURES.items()}
    rolled = metrics_compute(now).figures
    times_live, times_rolled = live.pop("decision_times"), rolled.pop("decision_times")
    for name in live:
        assert rolled[name] == live[name], (
            name,
            {k: (rolled[name][k], v) for k, v in live[name].items() if rolled[name][k] != v},
        )
    assert times_rolled["overall"]["n"] == times_live["overall"]["n"] > 0
    for key in ("p50", "p90"):
        assert times_rolled["overall"][key] == pytest.approx(times_live["overall"][key], rel=0.03)
        for got, want in zip(times_rolled[key], times_live[key], strict=True):
            assert (got is None) == (want is None)
            assert want is None or got == pytest.approx(want, rel=0.03, abs=0.01)


def test_the_rollup_gives_the_live_figures_and_counts_rows_since_its_cutoff_live():
    a_year_of_activity()
    bank_hashes(2, created=ago(days=100))
    assert metrics_rollup_build(now=NOW) > 1
    assert rollup_cutoff() == NOW.date()
    # After the build, in the live tail: new rows, and an old hash withdrawn today.
    today_too(PartnerFactory(display_name="New"), at=NOW, n=4, withdrawn_after=timedelta(0))
    BankHash.objects.filter(pk=BankHash.objects.filter(status="Active").order_by("created_at")[0].pk).update(
        status="Withdrawn", modified_at=NOW
    )
    assert_same_figures(NOW)
    metrics_rollup_build(now=NOW + timedelta(days=1))  # a rebuild replaces it, today included
    assert MetricsDay.objects.filter(series="rollup.built").count() == 1
    assert_same_figures(NOW)


def test_without_a_rollup_the_page_computes_live():
    a_year_of_activity()
    assert rollup_cutoff() is None
    assert metrics_compute(NOW).figures["hashes"] == metrics.hashes_protected(NOW)


def test_the_page_reads_the_rollup_not_the_tables():
    """With a rollup the figures read the rollup and the rows since its cutoff: their
    queries carry a date range after the cutoff, never a scan of history."""
    a_year_of_activity()
    metrics_rollup_build(now=NOW + timedelta(days=1))
    Case.objects.filter(created_at__lt=NOW - timedelta(days=1)).delete()  # the rollup still has them
    assert metrics_compute(NOW).figures["cases"]["total"] == 7


def test_beat_builds_the_rollup_once_a_day():
    a_year_of_activity()
    assert metrics_rollup_task() > 1
    assert metrics_rollup_task() == 0  # already built today
    MetricsDay.objects.filter(series="rollup.built").update(day=NOW.date() - timedelta(days=1))
    assert metrics_rollup_task() > 1
