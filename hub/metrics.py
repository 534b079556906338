"""Hub-wide figures for the metrics page. Each figure is one or a few aggregate queries that
group in the database (TruncWeek + Count; percentile_cont on PostgreSQL), so the cost grows
with the rows in a window, not with the page. The whole set is cached per process for
NCII_METRICS_CACHE_SECONDS. Every figure is a JSON-ready dict: the page draws charts from it
and prints the same numbers in tables. Times are UTC; weeks start on Monday."""

import math
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from matching.models import BankHash, MatchReport
from moderation.audit_events import IMAGE_REVEALED
from moderation.models import ReviewItem, ReviewState

YEAR_WEEKS = 52
RECENT_WEEKS = 12
REVEAL_DAYS = 30
TOP_PARTNERS = 8
TOP_MODERATORS = 20
# Without percentile_cont (SQLite), at most this many recent decisions are read into Python.
PYTHON_PERCENTILE_WINDOW = 20_000
BACKLOG_BUCKETS = [
    ("< 1 hour", timedelta(hours=1)),
    ("1–24 hours", timedelta(days=1)),
    ("1–7 days", timedelta(days=7)),
    ("7–30 days", timedelta(days=30)),
    ("> 30 days", None),
]
DECIDED = [ReviewState.CONFIRMED, ReviewState.DISMISSED]
OPEN = [ReviewState.PENDING, ReviewState.ESCALATED]


@dataclass(frozen=True)
class Metrics:
    computed_at: datetime
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)


def metrics_get() -> Metrics:
    """The figures, at most NCII_METRICS_CACHE_SECONDS old (per process)."""
    ttl = settings.NCII_METRICS_CACHE_SECONDS
    with _lock:
        cached = _cache.get("metrics")
    if cached and ttl > 0 and time.monotonic() - cached[0] < ttl:
        return cached[1]
    metrics = metrics_compute()
    with _lock:
        _cache["metrics"] = (time.monotonic(), metrics)
    return metrics


_cache: dict[str, tuple[float, Metrics]] = {}
_lock = threading.Lock()


def metrics_cache_clear() -> None:
    with _lock:
        _cache.clear()


def metrics_compute(now: datetime | None = None) -> Metrics:
    from hub.rollup_figures import rollup_figures  # imports this module

    now = now or timezone.now()
    figures = {name: compute(now) for name, compute in (rollup_figures() or FIGURES).items()}
    return Metrics(computed_at=now, figures=figures)


# --- weeks ------------------------------------------------------------------------------------


def week_starts(now: datetime, count: int) -> list[datetime]:
    """The Mondays (00:00 UTC) of the last ``count`` weeks, this week last."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return [monday - timedelta(weeks=count - 1 - i) for i in range(count)]


def _per_week(rows: QuerySet, date_field: str, weeks: list[datetime], *group: str) -> QuerySet:
    """``rows`` in the window, grouped by week (and ``group``), as dicts with ``week``."""
    in_window = rows.filter(**{f"{date_field}__gte": weeks[0]})
    return in_window.annotate(week=TruncWeek(date_field)).values("week", *group).order_by()


def _labels(weeks: list[datetime]) -> list[str]:
    return [w.date().isoformat() for w in weeks]


def _fill(weeks: list[datetime], counts: dict[Any, int]) -> list[int]:
    return [counts.get(w.date(), 0) for w in weeks]


def _week_key(value: datetime) -> Any:
    return value.date()


# --- the bank and cases -----------------------------------------------------------------------


def hashes_protected(now: datetime) -> dict[str, Any]:
    """Active bank hashes at the end of each week of the last year: added minus withdrawn.
    A withdrawal is dated by the hash's last change (the bank keeps no withdrawal date), so
    the last point equals today's active count exactly."""
    weeks = week_starts(now, YEAR_WEEKS)
    withdrawn = Q(status=BankHash.Status.WITHDRAWN)
    start = BankHash.objects.aggregate(
        added=Count("pk", filter=Q(created_at__lt=weeks[0])),
        withdrawn=Count("pk", filter=withdrawn & Q(modified_at__lt=weeks[0])),
    )
    added = _fill(weeks, _week_counts(_per_week(BankHash.objects.all(), "created_at", weeks)))
    gone = _fill(weeks, _week_counts(_per_week(BankHash.objects.filter(withdrawn), "modified_at", weeks)))
    baseline = start["added"] - start["withdrawn"]
    protected, running = [], baseline
    for plus, minus in zip(added, gone, strict=True):
        running += plus - minus
        protected.append(running)
    growth = running - baseline
    return {
        "labels": _labels(weeks),
        "protected": protected,
        "added": added,
        "withdrawn": gone,
        "now": running,
        "year_ago": baseline,
        "growth": growth,
        "growth_pct": round(100 * growth / baseline, 1) if baseline else None,
    }


def _week_counts(grouped: QuerySet) -> dict[Any, int]:
    return {_week_key(row["week"]): row["n"] for row in grouped.annotate(n=Count("pk"))}


def cases_created(now: datetime) -> dict[str, Any]:
    weeks = week_starts(now, YEAR_WEEKS)
    created = _fill(weeks, _week_counts(_per_week(Case.objects.all(), "created_at", weeks)))
    return {"labels": _labels(weeks), "created": created, "total": sum(created)}


# --- reports and decisions --------------------------------------------------------------------


def reports_per_partner(now: datetime) -> dict[str, Any]:
    """Match reports received per week from each partner; beyond the TOP_PARTNERS busiest,
    the rest are one series."""
    weeks = week_starts(now, RECENT_WEEKS)
    rows = _per_week(MatchReport.objects.all(), "received_at", weeks, "partner__display_name").annotate(n=Count("pk"))
    by_partner: dict[str, dict[Any, int]] = {}
    for row in rows:
        by_partner.setdefault(row["partner__display_name"], {})[_week_key(row["week"])] = row["n"]
    ranked = sorted(by_partner, key=lambda name: (-sum(by_partner[name].values()), name))
    series: list[dict[str, Any]] = [
        {"label": name, "data": _fill(weeks, by_partner[name])} for name in ranked[:TOP_PARTNERS]
    ]
    rest = [_fill(weeks, by_partner[name]) for name in ranked[TOP_PARTNERS:]]
    if rest:
        series.append({"label": f"{len(rest)} other partners", "data": [sum(week) for week in zip(*rest, strict=True)]})
    return {"labels": _labels(weeks), "series": series, "total": sum(sum(s["data"]) for s in series)}


def outcomes(now: datetime) -> dict[str, Any]:
    """Items decided per week, by outcome (a reopened item counts again when re-decided)."""
    weeks = week_starts(now, RECENT_WEEKS)
    rows = _per_week(ReviewItem.objects.filter(state__in=DECIDED), "decided_at", weeks, "state").annotate(n=Count("pk"))
    by_state: dict[str, dict[Any, int]] = {state: {} for state in DECIDED}
    for row in rows:
        by_state[row["state"]][_week_key(row["week"])] = row["n"]
    figure: dict[str, Any] = {"labels": _labels(weeks)}
    for state in DECIDED:
        figure[str(state)] = _fill(weeks, by_state[state])
    figure["totals"] = {str(state): sum(figure[str(state)]) for state in DECIDED}
    return figure


def percentile(values: list[float], fraction: float) -> float:
    """percentile_cont in Python: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def decision_times(now: datetime) -> dict[str, Any]:
    """Time from an item opening to its decision: p50 and p90 per week and over the window,
    in hours."""
    weeks = week_starts(now, RECENT_WEEKS)
    if connection.vendor == "postgresql":
        per_week, overall = _decision_times_sql(since=weeks[0])
    else:
        decided = ReviewItem.objects.filter(state__in=DECIDED, decided_at__gte=weeks[0])
        per_week, overall = _decision_times_python(decided)
    return {
        "labels": _labels(weeks),
        "p50": [per_week.get(w.date(), {}).get("p50") for w in weeks],
        "p90": [per_week.get(w.date(), {}).get("p90") for w in weeks],
        "overall": overall,
    }


def _hours(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    return round(seconds / 3600, 2)


# PostgreSQL's ordered-set aggregate percentile_cont, per week and (ROLLUP) over all the weeks,
# in one scan; Django has no ROLLUP, hence raw SQL. The week is TruncWeek's expression.
_PERCENTILES_SQL = """
    SELECT date_trunc('week', decided_at AT TIME ZONE 'UTC'),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY decided_at - opened_at),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY decided_at - opened_at),
           count(*)
    FROM {table} WHERE state IN (%s, %s) AND decided_at >= %s
    GROUP BY ROLLUP (1)
"""


def _decision_times_sql(*, since: datetime) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    sql = _PERCENTILES_SQL.format(table=connection.ops.quote_name(ReviewItem._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*DECIDED, since])
        rows = cursor.fetchall()
    per_week, overall = {}, {"p50": None, "p90": None, "n": 0, "sampled": False}
    for week, p50, p90, count in rows:
        figures = {"p50": _hours(p50), "p90": _hours(p90), "n": count}
        if week is None:
            overall |= figures
        else:
            per_week[week.date()] = figures
    return per_week, overall


def _decision_times_python(decided: QuerySet) -> tuple[dict[Any, dict[str, Any]], dict[str, Any]]:
    rows = list(decided.order_by("-decided_at").values_list("opened_at", "decided_at")[:PYTHON_PERCENTILE_WINDOW])
    by_week: dict[Any, list[float]] = {}
    for opened, decided_at in rows:
        monday = (decided_at - timedelta(days=decided_at.weekday())).date()
        by_week.setdefault(monday, []).append((decided_at - opened).total_seconds())
    per_week = {
        week: {"p50": _hours(percentile(v, 0.5)), "p90": _hours(percentile(v, 0.9)), "n": len(v)}
        for week, v in by_week.items()
    }
    every = [s for v in by_week.values() for s in v]
    overall = {
        "p50": _hours(percentile(every, 0.5)) if every else None,
        "p90": _hours(percentile(every, 0.9)) if every else None,
        "n": len(every),
        "sampled": len(rows) == PYTHON_PERCENTILE_WINDOW,
    }
    return per_week, overall


# --- the queue and reveals --------------------------------------------------------------------


def backlog(now: datetime) -> dict[str, Any]:
    """Open items by how long they have waited, and the oldest wait, per open state."""
    buckets, lower = {}, None
    for i, (_, upper) in enumerate(BACKLOG_BUCKETS):
        age = Q() if lower is None else Q(opened_at__lte=now - lower)
        buckets[f"b{i}"] = Count("pk", filter=age & (Q(opened_at__gt=now - upper) if upper else Q()))
        lower = upper
    rows = {
        r["state"]: r
        for r in ReviewItem.objects.filter(state__in=OPEN)
        .values("state")
        .order_by()
        .annotate(oldest=Min("opened_at"), n=Count("pk"), **buckets)
    }
    figure: dict[str, Any] = {"labels": [label for label, _ in BACKLOG_BUCKETS]}
    for state in OPEN:
        row = rows.get(state, {})
        figure[str(state)] = [row.get(f"b{i}", 0) for i in range(len(BACKLOG_BUCKETS))]
        figure[f"{state}_count"] = row.get("n", 0)
        oldest = row.get("oldest")
        figure[f"{state}_oldest_hours"] = _hours(now - oldest) if oldest else None
        figure[f"{state}_oldest_days"] = round((now - oldest).total_seconds() / 86400, 1) if oldest else None
    return figure


def reveals_per_moderator(now: datetime) -> dict[str, Any]:
    """Review images shown unblurred, per moderator, over the last REVEAL_DAYS days."""
    rows = (
        AuditEvent.objects.filter(action=IMAGE_REVEALED, created_at__gte=now - timedelta(days=REVEAL_DAYS))
        .values("actor_label")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n", "actor_label")[:TOP_MODERATORS]
    )
    pairs = [(row["actor_label"], row["n"]) for row in rows]
    return {"labels": [p[0] for p in pairs], "values": [p[1] for p in pairs], "days": REVEAL_DAYS}


FIGURES = {
    "hashes": hashes_protected,
    "cases": cases_created,
    "reports": reports_per_partner,
    "outcomes": outcomes,
    "decision_times": decision_times,
    "backlog": backlog,
    "reveals": reveals_per_moderator,
}
