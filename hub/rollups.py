"""The metrics page at scale: a daily rollup of every figure that counts rows by date.

Beat rebuilds the rollup (``metrics_rollup_build``) once a day: counts per UTC day up to
today's midnight (its *cutoff*), in one transaction. The page then reads the rollup for the
days before the cutoff and counts only the rows since it live, so it reads a few thousand
small rows whatever the size of the tables. Counts of immutable dates (hashes added, cases
created, reports received, reveals) equal the live figures exactly; a row re-dated after the
build (a withdrawn hash changed again, an item reopened and re-decided) counts at both dates
until the next build. Decision times come from a histogram of log-spaced buckets (2% wide),
so their percentiles are within about 2% of ``percentile_cont``. The queue's backlog is
current state, always live. Without a rollup the page computes everything live."""

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from hub import metrics
from hub.models import MetricsDay
from matching.models import BankHash, MatchReport
from moderation.audit_events import IMAGE_REVEALED
from moderation.models import ReviewItem

BUILT = "rollup.built"  # one row: its day is the cutoff
# The transparency page (hub.transparency) reads eight quarters back: two years and the current one.
TRANSPARENCY_DAYS = 2 * 366 + 92
BUCKETS_PER_E = 50  # decision-time buckets: 50 per factor e, each about 2% wide


@dataclass(frozen=True)
class Series:
    name: str
    rows: Callable[[], QuerySet]
    date_field: str
    key_field: str | None
    days: int | None  # how far back the page reads it; None: all of history
    # A condition every row since a moment meets that an index answers, for the live tail.
    hint: Callable[[datetime], Q] = lambda since: Q()


SERIES = [
    # A hash's modification time is never before its creation: the keyset index finds the new ones.
    Series("bank.added", lambda: BankHash.objects.all(), "created_at", None, None, lambda t: Q(modified_at__gte=t)),
    Series("bank.withdrawn", lambda: BankHash.objects.filter(status="Withdrawn"), "modified_at", None, None),
    Series("cases.created", lambda: Case.objects.all(), "created_at", None, TRANSPARENCY_DAYS),
    Series("cases.withdrawn", lambda: Case.objects.all(), "withdrawn_at", None, TRANSPARENCY_DAYS),
    Series(
        "reports.received",
        lambda: MatchReport.objects.all(),
        "received_at",
        "partner_id",
        TRANSPARENCY_DAYS,
        lambda t: Q(status__in=MatchReport.Status.values),  # the (status, received_at) index
    ),
    Series(
        "items.decided",
        lambda: ReviewItem.objects.filter(state__in=metrics.DECIDED),
        "decided_at",
        "state",
        TRANSPARENCY_DAYS,
    ),
    Series(
        "reveals",
        lambda: AuditEvent.objects.filter(action=IMAGE_REVEALED),
        "created_at",
        "actor_label",
        metrics.REVEAL_DAYS + 1,
    ),
]
DECISIONS = Series("decisions.bucket", lambda: ReviewItem.objects.none(), "decided_at", None, TRANSPARENCY_DAYS)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- building (beat) ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def metrics_rollup_build(*, now: datetime | None = None) -> int:
    """Replaces the rollup with counts per day before today (UTC); returns the rows written."""
    cutoff = (now or timezone.now()).astimezone(UTC).date()
    MetricsDay.objects.select_for_update().filter(series=BUILT).exists()  # one builder at a time
    MetricsDay.objects.all().delete()
    rows = [MetricsDay(day=cutoff, series=BUILT, key="", count=0)]
    for series in SERIES:
        grouped = _grouped(series, series.rows(), _since(series, cutoff), _midnight(cutoff))
        rows += [MetricsDay(day=day, series=series.name, key=key, count=n) for (day, key), n in grouped.items()]
    buckets = _decision_buckets(_since(DECISIONS, cutoff), _midnight(cutoff))
    rows += [MetricsDay(day=day, series=DECISIONS.name, key=key, count=n) for (day, key), n in buckets.items()]
    MetricsDay.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _since(series: Series, cutoff: date) -> datetime | None:
    return None if series.days is None else _midnight(cutoff - timedelta(days=series.days))


def _grouped(series: Series, rows: QuerySet, since: datetime | None, until: datetime | None) -> Counter:
    """{(day, key): count} of ``rows`` dated in [since, until)."""
    dated = rows.filter(**{f"{series.date_field}__isnull": False})
    if since is not None:
        dated = dated.filter(series.hint(since), **{f"{series.date_field}__gte": since})
    if until is not None:
        dated = dated.filter(**{f"{series.date_field}__lt": until})
    keys = [series.key_field] if series.key_field else []
    grouped = dated.annotate(day=TruncDate(series.date_field)).values("day", *keys).order_by().annotate(n=Count("pk"))
    return Counter({(r["day"], str(r[keys[0]]) if keys else ""): r["n"] for r in grouped})


def _decision_buckets(since: datetime | None, until: datetime | None) -> Counter:
    """{(day, bucket): count} of decisions in [since, until), by time from opening to decision."""
    decided = ReviewItem.objects.filter(state__in=metrics.DECIDED, decided_at__isnull=False)
    if since is not None:
        decided = decided.filter(decided_at__gte=since)
    if until is not None:
        decided = decided.filter(decided_at__lt=until)
    if connection.vendor == "postgresql":
        return _decision_buckets_sql(decided)
    counts: Counter = Counter()
    for opened, decided_at in decided.values_list("opened_at", "decided_at").iterator(chunk_size=10_000):
        assert decided_at is not None  # filtered above  # noqa: S101
        seconds = max(0.0, (decided_at - opened).total_seconds())
        counts[(decided_at.astimezone(UTC).date(), str(math.floor(math.log1p(seconds) * BUCKETS_PER_E)))] += 1
    return counts


_BUCKETS_SQL = """
    SELECT (decided_at AT TIME ZONE 'UTC')::date,
           floor(ln(1 + greatest(0, extract(epoch FROM decided_at - opened_at))) * %s)::int,
           count(*)
    FROM ({rows}) AS decided GROUP BY 1, 2
"""


def _decision_buckets_sql(decided: QuerySet) -> Counter:
    """The same buckets, grouped in PostgreSQL."""
    rows_sql, params = decided.values("opened_at", "decided_at").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(_BUCKETS_SQL.format(rows=rows_sql), [BUCKETS_PER_E, *params])
        return Counter({(day, str(bucket)): n for day, bucket, n in cursor.fetchall()})


# --- reading (the page) -------------------------------------------------------------------------


def rollup_cutoff() -> date | None:
    return MetricsDay.objects.filter(series=BUILT).aggregate(day=Max("day"))["day"]


def counts_since(series: Series, since: datetime, cutoff: date) -> Counter:
    """{(day, key): count} from ``since``: the rollup's whole days before the cutoff (dated
    by their week's Monday), and live rows for the rest (a partial first day, and everything
    since the cutoff)."""
    first_day = since.astimezone(UTC).date()
    if since > _midnight(first_day):
        first_day += timedelta(days=1)
    rolled = MetricsDay.objects.filter(series=series.name, day__gte=first_day, day__lt=cutoff)
    # Summed per week in the database: every reader groups by week (a rolled-up day counts at its Monday).
    weekly = rolled.annotate(week=TruncWeek("day")).values("week", "key").order_by().annotate(n=Sum("count"))
    counts = Counter({(_as_date(r["week"]), r["key"]): r["n"] for r in weekly})
    live: list[tuple[datetime, datetime | None]] = [(max(since, _midnight(cutoff)), None)]
    if first_day < cutoff and since < _midnight(first_day):
        live.append((since, _midnight(first_day)))
    for start, end in live:
        if series is DECISIONS:
            counts += _decision_buckets(start, end)
        else:
            counts += _grouped(series, series.rows(), start, end)
    return counts
