"""Reads about a moderator's exposure to review images: how many they revealed and since
when, and how many their role allows a day. Every reveal is an audit event, so the audit
trail is the one count."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from audit.models import AuditEvent

REVEALED = "image.revealed"


def reveals_since(*, user: AbstractBaseUser, since: datetime) -> int:
    return AuditEvent.objects.filter(actor_user_id=user.pk, action=REVEALED, created_at__gte=since).count()


def day_start(now: datetime | None = None) -> datetime:
    """Midnight today, in the hub's time zone: when the daily cap starts again."""
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def daily_reveal_cap(user: AbstractBaseUser) -> int | None:
    """The most generous cap of the user's roles (None: no cap, or no capped role)."""
    caps = settings.NCII_DAILY_REVEAL_CAP
    roles = [name for name in user.groups.values_list("name", flat=True) if name in caps]  # type: ignore[attr-defined]
    if not roles or any(caps[role] is None for role in roles):
        return None
    return max(int(caps[role]) for role in roles)


def reveals_left_today(user: AbstractBaseUser) -> int | None:
    cap = daily_reveal_cap(user)
    return None if cap is None else max(0, cap - reveals_since(user=user, since=day_start()))
