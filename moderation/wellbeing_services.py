"""Writes for moderator wellbeing: recording each reveal of a review image (within the daily
cap of the moderator's role)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from audit.services import Actor, audit_record
from matching.images import REVIEW_LEVELS
from moderation.wellbeing_selectors import REVEALED, daily_reveal_cap, day_start, reveals_since


class RevealCapReached(Exception):
    """The moderator's role allows no more reveals today: nothing was recorded or shown."""


@transaction.atomic(durable=True)
def image_reveal(*, moderator: AbstractBaseUser, item_id: int, report_id: int, level: str) -> None:
    """Record that a moderator is about to see a report's review image sharper than the blurred
    preview ("grey" or "colour"). The caller sends the image only if this returns."""
    if level not in REVIEW_LEVELS[1:]:
        raise ValueError(f"Not a reveal level: {level!r}")
    get_user_model().objects.select_for_update().filter(pk=moderator.pk).first()  # one reveal at a time each
    cap = daily_reveal_cap(moderator)
    if cap is not None and reveals_since(user=moderator, since=day_start()) >= cap:
        raise RevealCapReached(
            f"You have revealed {cap} images today, your role's daily limit. Decide from the metadata, "
            "ask a colleague, or come back tomorrow."
        )
    audit_record(
        actor=Actor.user(moderator), action=REVEALED, object_type="matching.matchreport", object_id=report_id,
        after={"item": item_id, "level": level},
    )
