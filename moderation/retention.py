"""Retention of review items' free notes: the decision's code, outcome and times stay."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from audit.models import AuditEvent
from audit.retention import retention_batch
from audit.services import audit_reasons_erase
from matching.audit_events import BANK_HASH, HASH_FEEDBACK
from moderation.audit_events import ITEM
from moderation.models import ReviewItem


def review_notes_erase(*, cutoff: datetime, limit: int) -> int:
    """Blank the standing decision's note on items decided before ``cutoff``, and the reason
    text (decision notes, escalation and minor-marking reasons, the hub's feedback) of their
    audit events from before ``cutoff``; the events keep code, outcome, actor, time and the reason's digest."""
    due = ReviewItem.objects.filter(decided_at__lt=cutoff).exclude(decision_note="")
    return retention_batch(
        due=due,
        erase=lambda rows: _notes_erase(rows, cutoff),
        kind="review_note",
        object_type=ITEM,
        cutoff=cutoff,
        limit=limit,
    )


def _notes_erase(rows: QuerySet[ReviewItem], cutoff: datetime) -> dict[str, Any]:
    """The note is the reason of the decision's event and of the hub's feedback event on the
    bank hash (moderation.services._answer_reports): both lose its text."""
    items = list(rows.values_list("pk", "bank_hash_id"))
    rows.update(decision_note="")
    earlier = AuditEvent.objects.filter(created_at__lt=cutoff)
    on_items = Q(object_type=ITEM, object_id__in=[str(pk) for pk, _ in items])
    feedback = Q(object_type=BANK_HASH, action=HASH_FEEDBACK, object_id__in=[str(h) for _, h in items])
    return {"reasons_erased": audit_reasons_erase(earlier.filter(on_items | feedback))}
