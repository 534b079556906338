"""The public transparency figures (GIFCT's and StopNCII's published figures as the anchor):
per quarter over the last two years, read from the daily rollup (hub.rollups) only, so they
cover whole UTC days up to the rollup's cutoff. Small counts are suppressed: a count under
NCII_TRANSPARENCY_MIN_COUNT is shown as "fewer than N", and a share or median computed over such
a count is withheld too. Nothing here is about one case, partner decision or moderator: partners
appear only as a count of partners that reported, decisions only as shares and a median."""

import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from hub.models import MetricsDay
from hub.rollup_figures import _percentile
from hub.rollups import DECISIONS, rollup_cutoff
from ncii_site.cache_fallback import CACHE_ERRORS

logger = logging.getLogger(__name__)

QUARTERS = 8
CACHE_KEY = "hub:transparency:v1"
COUNTS = ("hashes", "cases", "withdrawals", "partners", "reports", "decided")


@dataclass(frozen=True)
class Cell:
    """One published figure: its value, or None when suppressed (or unknown)."""

    value: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class Quarter:
    start: date
    cells: dict[str, Cell]

    @property
    def number(self) -> int:
        return (self.start.month - 1) // 3 + 1

    @property
    def label(self) -> str:
        """The CSV's label; the page translates its own."""
        return f"{self.start.year} Q{self.number}"


@dataclass(frozen=True)
class Figures:
    quarters: list[Quarter]  # newest first
    up_to: date | None  # the rollup's cutoff: figures cover the days before it
    min_count: int


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_starts(today: date, count: int = QUARTERS) -> list[date]:
    """The first days of the last ``count`` quarters, newest first (this one included)."""
    starts = [quarter_start(today)]
    while len(starts) < count:
        first = starts[-1]
        starts.append(date(first.year - (first.month == 1), (first.month - 4) % 12 + 1, 1))
    return starts


def transparency_figures() -> Figures:
    """The figures, cached for NCII_TRANSPARENCY_CACHE_SECONDS; computed anew (not cached)
    while the cache cannot be reached, never an error."""
    try:
        cached = cache.get(CACHE_KEY)
    except CACHE_ERRORS:
        logger.warning("transparency: cache unreachable, computing the figures for this request")
        return figures_compute()
    if cached is not None:
        return cached
    figures = figures_compute()
    try:
        cache.set(CACHE_KEY, figures, settings.NCII_TRANSPARENCY_CACHE_SECONDS)
    except CACHE_ERRORS:
        logger.warning("transparency: cache unreachable, figures not cached")
    return figures


def figures_compute(*, now: datetime | None = None) -> Figures:
    cutoff = rollup_cutoff()
    today = (now or timezone.now()).astimezone(UTC).date()
    starts = quarter_starts(today)
    minimum = settings.NCII_TRANSPARENCY_MIN_COUNT
    if cutoff is None:
        return Figures([Quarter(start, {}) for start in starts], None, minimum)
    raw = _per_quarter(starts, cutoff)
    return Figures([Quarter(start, _cells(raw[start], minimum)) for start in starts], cutoff, minimum)


_SERIES = {"bank.added": "hashes", "cases.created": "cases", "cases.withdrawn": "withdrawals"}


def _per_quarter(starts: list[date], cutoff: date) -> dict[date, dict]:
    """For each quarter: counts, partners that reported, decisions by state and by time bucket."""
    raw: dict[date, dict] = {s: {"counts": Counter(), "partners": set(), "buckets": Counter()} for s in starts}
    names = [*_SERIES, "reports.received", "items.decided", DECISIONS.name]
    rows = MetricsDay.objects.filter(series__in=names, day__gte=starts[-1], day__lt=cutoff)
    for day, series, key, count in rows.values_list("day", "series", "key", "count").iterator(chunk_size=5000):
        quarter = raw[quarter_start(day)]
        if series in _SERIES:
            quarter["counts"][_SERIES[series]] += count
        elif series == "reports.received":
            quarter["counts"]["reports"] += count
            quarter["partners"].add(key)
        elif series == "items.decided":
            quarter["counts"][key] += count
            quarter["counts"]["decided"] += count
        else:
            quarter["buckets"][int(key)] += count
    return raw


def _cells(raw: dict, minimum: int) -> dict[str, Cell]:
    counts: Counter = raw["counts"]
    counts["partners"] = len(raw["partners"])
    cells = {name: _count(counts[name], minimum) for name in COUNTS}
    decided = counts["decided"]
    for state in ("confirmed", "dismissed"):
        share_known = decided >= minimum and counts[state] >= minimum
        cells[f"{state}_share"] = Cell(round(100 * counts[state] / decided, 1)) if share_known else Cell(None, True)
    seconds = _percentile(raw["buckets"], 0.5) if decided >= minimum else None
    cells["median_hours"] = Cell(round(seconds / 3600, 1)) if seconds is not None else Cell(None, True)
    return cells


def _count(value: int, minimum: int) -> Cell:
    return Cell(value) if value >= minimum else Cell(None, True)


def figures_reset() -> None:
    """Forget the cached figures: a new rollup has new ones."""
    with contextlib.suppress(*CACHE_ERRORS):
        cache.delete(CACHE_KEY)


__all__ = ["Cell", "Figures", "Quarter", "figures_compute", "quarter_starts", "transparency_figures"]
