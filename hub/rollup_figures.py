"""The metrics page's figures read from the daily rollup (hub.rollups): the same
dicts as moderation.metrics computes live, from a few thousand rollup rows plus the rows
since the rollup's cutoff."""

import math
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from hub import metrics
from hub.rollups import BUCKETS_PER_E, DECISIONS, SERIES, Series, counts_since, rollup_cutoff
from partners.models import Partner

Figure = Callable[[datetime], dict[str, Any]]
_BY_NAME = {s.name: s for s in SERIES}


def rollup_figures() -> dict[str, Figure] | None:
    """The figure functions, reading the rollup; None when beat has not built one yet."""
    cutoff = rollup_cutoff()
    if cutoff is None:
        return None
    figures: dict[str, Figure] = dict(metrics.FIGURES)  # the backlog stays live
    figures["hashes"] = lambda now: _hashes(now, cutoff)
    figures["cases"] = lambda now: _cases(now, cutoff)
    figures["reports"] = lambda now: _reports(now, cutoff)
    figures["outcomes"] = lambda now: _outcomes(now, cutoff)
    figures["decision_times"] = lambda now: _decision_times(now, cutoff)
    figures["reveals"] = lambda now: _reveals(now, cutoff)
    return figures


def _weekly(series: Series, weeks: list[datetime], cutoff: date) -> dict[str, Counter]:
    return _to_weeks(counts_since(series, weeks[0], cutoff))


def _to_weeks(counts: Counter) -> dict[str, Counter]:
    """{key: {monday: count}}."""
    out: dict[str, Counter] = {}
    for (day, key), n in counts.items():
        out.setdefault(key, Counter())[day - timedelta(days=day.weekday())] += n
    return out


def _fill(weeks: list[datetime], by_week: Counter | None) -> list[int]:
    return [by_week[w.date()] if by_week else 0 for w in weeks]


def _hashes(now: datetime, cutoff: date) -> dict[str, Any]:
    weeks = metrics.week_starts(now, metrics.YEAR_WEEKS)
    added_series, gone_series = _BY_NAME["bank.added"], _BY_NAME["bank.withdrawn"]
    epoch = datetime(1970, 1, 5, tzinfo=weeks[0].tzinfo)  # a Monday before any row
    added_all = counts_since(added_series, epoch, cutoff)
    gone_all = counts_since(gone_series, epoch, cutoff)
    first = weeks[0].date()
    baseline = sum(n for (day, _), n in added_all.items() if day < first)
    baseline -= sum(n for (day, _), n in gone_all.items() if day < first)
    added = _fill(weeks, _to_weeks(added_all).get(""))
    gone = _fill(weeks, _to_weeks(gone_all).get(""))
    protected, running = [], baseline
    for plus, minus in zip(added, gone, strict=True):
        running += plus - minus
        protected.append(running)
    growth = running - baseline
    return {
        "labels": metrics._labels(weeks),
        "protected": protected,
        "added": added,
        "withdrawn": gone,
        "now": running,
        "year_ago": baseline,
        "growth": growth,
        "growth_pct": round(100 * growth / baseline, 1) if baseline else None,
    }


def _cases(now: datetime, cutoff: date) -> dict[str, Any]:
    weeks = metrics.week_starts(now, metrics.YEAR_WEEKS)
    created = _fill(weeks, _weekly(_BY_NAME["cases.created"], weeks, cutoff).get(""))
    return {"labels": metrics._labels(weeks), "created": created, "total": sum(created)}


def _reports(now: datetime, cutoff: date) -> dict[str, Any]:
    weeks = metrics.week_starts(now, metrics.RECENT_WEEKS)
    by_id = _weekly(_BY_NAME["reports.received"], weeks, cutoff)
    names = dict(Partner.objects.filter(pk__in=[int(k) for k in by_id]).values_list("pk", "display_name"))
    by_partner: dict[str, Counter] = {}
    for key, counts in by_id.items():
        by_partner.setdefault(names.get(int(key), key), Counter()).update(counts)
    ranked = sorted(by_partner, key=lambda name: (-sum(by_partner[name].values()), name))
    top = ranked[: metrics.TOP_PARTNERS]
    series: list[dict[str, Any]] = [{"label": name, "data": _fill(weeks, by_partner[name])} for name in top]
    rest = [_fill(weeks, by_partner[name]) for name in ranked[metrics.TOP_PARTNERS :]]
    if rest:
        series.append({"label": f"{len(rest)} other partners", "data": [sum(week) for week in zip(*rest, strict=True)]})
    return {"labels": metrics._labels(weeks), "series": series, "total": sum(sum(s["data"]) for s in series)}


def _outcomes(now: datetime, cutoff: date) -> dict[str, Any]:
    weeks = metrics.week_starts(now, metrics.RECENT_WEEKS)
    by_state = _weekly(_BY_NAME["items.decided"], weeks, cutoff)
    figure: dict[str, Any] = {"labels": metrics._labels(weeks)}
    for state in metrics.DECIDED:
        figure[str(state)] = _fill(weeks, by_state.get(str(state)))
    figure["totals"] = {str(state): sum(figure[str(state)]) for state in metrics.DECIDED}
    return figure


def _decision_times(now: datetime, cutoff: date) -> dict[str, Any]:
    weeks = metrics.week_starts(now, metrics.RECENT_WEEKS)
    per_week: dict[date, Counter] = {}
    for (day, bucket), n in counts_since(DECISIONS, weeks[0], cutoff).items():
        per_week.setdefault(day - timedelta(days=day.weekday()), Counter())[int(bucket)] += n
    every = sum(per_week.values(), Counter())
    p50 = [_hours(_percentile(per_week.get(w.date()), 0.5)) for w in weeks]
    p90 = [_hours(_percentile(per_week.get(w.date()), 0.9)) for w in weeks]
    overall = {
        "p50": _hours(_percentile(every, 0.5)),
        "p90": _hours(_percentile(every, 0.9)),
        "n": sum(every.values()),
        "sampled": False,
    }
    return {"labels": metrics._labels(weeks), "p50": p50, "p90": p90, "overall": overall}


def _percentile(buckets: Counter | None, fraction: float) -> float | None:
    """percentile_cont over a histogram: linear between the two closest ranks, each rank's
    value spread evenly (on the log scale) within its bucket."""
    if not buckets:
        return None
    position = fraction * (sum(buckets.values()) - 1)
    low, high = math.floor(position), math.ceil(position)
    at_low, at_high = _rank_value(buckets, low), _rank_value(buckets, high)
    return at_low + (at_high - at_low) * (position - low)


def _rank_value(buckets: Counter, rank: int) -> float:
    seen = 0
    for bucket in sorted(buckets):
        if rank < seen + buckets[bucket]:
            return math.expm1((bucket + (rank - seen + 0.5) / buckets[bucket]) / BUCKETS_PER_E)
        seen += buckets[bucket]
    raise ValueError("rank beyond the histogram")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _reveals(now: datetime, cutoff: date) -> dict[str, Any]:
    since = now - timedelta(days=metrics.REVEAL_DAYS)
    counts = counts_since(_BY_NAME["reveals"], since, cutoff)
    per_label: Counter = Counter()
    for (_, label), n in counts.items():
        per_label[label] += n
    pairs = sorted(per_label.items(), key=lambda p: (-p[1], p[0]))[: metrics.TOP_MODERATORS]
    return {"labels": [p[0] for p in pairs], "values": [p[1] for p in pairs], "days": metrics.REVEAL_DAYS}
