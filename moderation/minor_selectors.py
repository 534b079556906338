"""Reads for the child-safety team's queue (see minor_services)."""

from django.db.models import F

from moderation.models import ReviewItem
from moderation.scope import StaffScope
from moderation.selectors import item_visible_to

MINOR_QUEUE_LIMIT = 200


def minor_items_list(*, scope: StaffScope) -> list[ReviewItem]:
    """Items marked "possible minor" that this scope sees: undecided first, oldest first."""
    items = item_visible_to(scope).filter(possible_minor=True).select_related("bank_hash")
    order = (F("decided_at").asc(nulls_first=True), "opened_at", "pk")
    return list(items.order_by(*order)[:MINOR_QUEUE_LIMIT])
