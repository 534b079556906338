"""Reads about moderator wellbeing: their settings for review images, within the admins'
limits, and their exposure: how many images they revealed, since when, and how many their
role allows a day. Every reveal is an audit event, so the audit trail is the one count."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.utils import timezone

from audit.models import AuditEvent
from moderation.audit_events import IMAGE_REVEALED
from moderation.models import ModeratorSettings

LIMITED = ("blur_radius", "reblur_seconds", "break_after_reveals", "break_after_minutes")


@dataclass(frozen=True)
class Wellbeing:
    blur_radius: int
    reblur_seconds: int
    break_after_reveals: int
    break_after_minutes: int
    blur_off: bool = False
    blur_off_allowed: bool = False


def wellbeing_limits() -> dict[str, tuple[int, int, int]]:
    """(lowest, default, highest) of each setting a moderator may choose."""
    return {name: settings.NCII_WELLBEING_LIMITS[name] for name in LIMITED}


def wellbeing_get(user: User) -> Wellbeing:
    """The moderator's choices, or the defaults; always within today's limits (an admin may
    have narrowed them since the moderator chose)."""
    row = ModeratorSettings.objects.filter(user_id=user.pk).first()
    values = {}
    for name, (low, default, high) in wellbeing_limits().items():
        values[name] = min(high, max(low, getattr(row, name) if row else default))
    allowed = bool(row and row.blur_off_allowed)
    return Wellbeing(**values, blur_off=allowed and bool(row and row.blur_off), blur_off_allowed=allowed)


def reveals_since(*, user: User, since: datetime) -> int:
    return AuditEvent.objects.filter(actor_user_id=user.pk, action=IMAGE_REVEALED, created_at__gte=since).count()


def day_start(now: datetime | None = None) -> datetime:
    """Midnight today, in the hub's time zone: when the daily cap starts again."""
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def daily_reveal_cap(user: User) -> int | None:
    """The most generous cap of the user's roles (None: no cap, or no capped role)."""
    caps = settings.NCII_DAILY_REVEAL_CAP
    roles = [name for name in user.groups.values_list("name", flat=True) if name in caps]
    if not roles or any(caps[role] is None for role in roles):
        return None
    return max(int(caps[role] or 0) for role in roles)  # none is None here


def reveals_left_today(user: User) -> int | None:
    cap = daily_reveal_cap(user)
    return None if cap is None else max(0, cap - reveals_since(user=user, since=day_start()))


@dataclass(frozen=True)
class Exposure:
    session_reveals: int  # since this sign-in
    reveals_since_break: int
    break_at: datetime  # the last break, or the sign-in
    left_today: int | None  # None: no daily cap
    break_due: bool
    wellbeing: Wellbeing


def exposure_get(*, user: User, session_start: datetime, break_at: datetime) -> Exposure:
    """What the moderator has been exposed to this sign-in and today, and whether a break is
    due (reveals or minutes since the last one past their thresholds). One query for counts."""
    today = day_start()
    counts = AuditEvent.objects.filter(
        actor_user_id=user.pk, action=IMAGE_REVEALED, created_at__gte=min(session_start, break_at, today)
    ).aggregate(
        session=Count("pk", filter=Q(created_at__gte=session_start)),
        since_break=Count("pk", filter=Q(created_at__gte=break_at)),
        today=Count("pk", filter=Q(created_at__gte=today)),
    )
    cap, wellbeing = daily_reveal_cap(user), wellbeing_get(user)
    minutes = (timezone.now() - break_at).total_seconds() / 60
    due = counts["since_break"] >= wellbeing.break_after_reveals or minutes >= wellbeing.break_after_minutes
    return Exposure(
        session_reveals=counts["session"],
        reveals_since_break=counts["since_break"],
        break_at=break_at,
        left_today=None if cap is None else max(0, cap - counts["today"]),
        break_due=due,
        wellbeing=wellbeing,
    )
