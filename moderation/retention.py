"""Retention of review items' free notes: the decision's code, outcome and times stay."""

from datetime import datetime

from audit.retention import retention_batch
from moderation.audit_events import ITEM
from moderation.models import ReviewItem


def review_notes_erase(*, cutoff: datetime, limit: int) -> int:
    """Blank the standing decision's note on items decided before ``cutoff``."""
    due = ReviewItem.objects.filter(decided_at__lt=cutoff).exclude(decision_note="")
    return retention_batch(
        due=due,
        erase=lambda rows: rows.update(decision_note=""),
        kind="review_note",
        object_type=ITEM,
        cutoff=cutoff,
        limit=limit,
    )
