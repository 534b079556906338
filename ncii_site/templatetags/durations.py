"""Lengths of time as people read them: one unit per figure, chosen by its size."""

from datetime import datetime

from django import template

register = template.Library()

# (unit, hours in one unit, decimals), from the smallest; a unit serves up to the next's LIMIT.
UNITS = [("minute", 1 / 60, 0), ("hour", 1.0, 1), ("day", 24.0, 1)]
LIMITS = {"minute": 1.0, "hour": 48.0}  # below this many hours the unit is still enough


def duration_text(*hours: float | None) -> str:
    """One or more durations given in hours, in the one unit the largest needs: "40 minutes",
    "2.5 / 3.7 hours", "12.4 days". A figure with no value is a dash."""
    known = [h for h in hours if h is not None]
    if not known:
        return "—"
    unit, size, decimals = next(u for u in UNITS if max(known) < LIMITS.get(u[0], float("inf")))
    parts = ["—" if h is None else f"{round(h / size, decimals):g}" for h in hours]
    plural = "" if parts == ["1"] else "s"
    return f"{' / '.join(parts)} {unit}{plural}"


@register.simple_tag
def durations(*hours: float | None) -> str:
    return duration_text(*hours)


@register.simple_tag
def time_left(deadline: datetime | None, now: datetime) -> str:
    """ "5.2 hours left" before a deadline, or "3 hours overdue" after it."""
    if deadline is None:
        return "—"
    hours = (deadline - now).total_seconds() / 3600
    return f"{duration_text(hours)} left" if hours >= 0 else f"{duration_text(-hours)} overdue"
