"""Writes for moderator wellbeing: their settings for review images (within the admins'
limits), an admin allowing blur off, and recording each reveal within the daily cap."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from audit.services import Actor, audit_record
from matching.audit_events import MATCH_REPORT
from matching.images import REVIEW_LEVELS
from moderation.audit_events import (
    IMAGE_REVEALED,
    MODERATOR_SETTINGS,
    WELLBEING_BLUR_OFF_ALLOWED,
    WELLBEING_BLUR_OFF_WITHDRAWN,
    WELLBEING_SETTINGS_CHANGED,
)
from moderation.models import ModeratorSettings
from moderation.wellbeing_selectors import (
    LIMITED,
    daily_reveal_cap,
    day_start,
    reveals_since,
    wellbeing_limits,
)
from ncii_site.errors import DomainError


class RevealCapReached(DomainError):
    """The moderator's role allows no more reveals today: nothing was recorded or shown."""

    code = "reveal_cap_reached"
    status = 429


class SettingsInvalid(DomainError, ValueError):
    code = "invalid_settings"
    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@transaction.atomic(durable=True)
def moderator_settings_update(
    *,
    moderator: User,
    blur_radius: int,
    reblur_seconds: int,
    break_after_reveals: int,
    break_after_minutes: int,
    blur_off: bool = False,
) -> ModeratorSettings:
    """A moderator's own choices, each within the admins' limits; blur off only if allowed."""
    chosen = {
        "blur_radius": blur_radius,
        "reblur_seconds": reblur_seconds,
        "break_after_reveals": break_after_reveals,
        "break_after_minutes": break_after_minutes,
    }
    for name, (low, _default, high) in wellbeing_limits().items():
        if not low <= chosen[name] <= high:
            raise SettingsInvalid(name, f"Choose between {low} and {high}.")
    row = _settings_locked(moderator)
    if blur_off and not row.blur_off_allowed:
        raise SettingsInvalid("blur_off", "Only an admin can allow turning the blur off for you.")
    before = _snapshot(row)
    for name, value in (chosen | {"blur_off": blur_off}).items():
        setattr(row, name, value)
    row.save()
    audit_record(
        actor=Actor.user(moderator),
        action=WELLBEING_SETTINGS_CHANGED,
        object_type=MODERATOR_SETTINGS,
        object_id=moderator.pk,
        before=before,
        after=_snapshot(row),
    )
    return row


@transaction.atomic(durable=True)
def moderator_blur_off_allow(*, actor: Actor, user: User, allowed: bool) -> ModeratorSettings:
    """An admin lets a moderator turn the preview blur off, or withdraws that (which turns it
    back on)."""
    row = _settings_locked(user)
    before = {"blur_off_allowed": row.blur_off_allowed, "blur_off": row.blur_off}
    row.blur_off_allowed = allowed
    row.blur_off = row.blur_off and allowed
    row.save()
    audit_record(
        actor=actor,
        action=WELLBEING_BLUR_OFF_ALLOWED if allowed else WELLBEING_BLUR_OFF_WITHDRAWN,
        object_type=MODERATOR_SETTINGS,
        object_id=user.pk,
        before=before,
        after={"blur_off_allowed": row.blur_off_allowed, "blur_off": row.blur_off},
    )
    return row


def _settings_locked(user: User) -> ModeratorSettings:
    """The user's settings row, made with the defaults if need be, locked."""
    defaults = {name: default for name, (_low, default, _high) in wellbeing_limits().items()}
    ModeratorSettings.objects.get_or_create(user_id=user.pk, defaults=defaults)
    return ModeratorSettings.objects.select_for_update().get(user_id=user.pk)


def _snapshot(row: ModeratorSettings) -> dict[str, Any]:
    return {name: getattr(row, name) for name in (*LIMITED, "blur_off")}


@transaction.atomic(durable=True)
def image_reveal(
    *, moderator: User, item_id: int, report_id: int, level: str, by_default: bool = False, position: int = 0
) -> None:
    """Record that a moderator is about to see a report's review image (a video report's
    keyframe at ``position``) sharper than the blurred preview ("grey" or "colour";
    ``by_default`` when their blur is off). The caller sends the image only if this returns;
    each keyframe revealed is a reveal of its own."""
    if level not in REVIEW_LEVELS[1:]:
        raise ValueError(f"Not a reveal level: {level!r}")
    _settings_locked(moderator)  # one reveal at a time per moderator, so the cap holds
    cap = daily_reveal_cap(moderator)
    if cap is not None and reveals_since(user=moderator, since=day_start()) >= cap:
        raise RevealCapReached(
            f"You have revealed {cap} images today, your role's daily limit. Decide from the metadata, "
            "ask a colleague, or come back tomorrow."
        )
    audit_record(
        actor=Actor.user(moderator),
        action=IMAGE_REVEALED,
        object_type=MATCH_REPORT,
        object_id=report_id,
        after={"item": item_id, "level": level}
        | ({"keyframe": position} if position else {})
        | ({"default": True} if by_default else {}),
    )
