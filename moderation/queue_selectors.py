"""What the queue's rows say about each item beyond its own columns: who reported it."""

from collections.abc import Iterable

from moderation.models import ReviewItemReport
from moderation.scope import StaffScope


def item_partner_names(*, scope: StaffScope, item_ids: Iterable[int]) -> dict[int, list[str]]:
    """The reporting partners' names per item, in one query. A partner's moderator sees only
    their own partner's name: who else reported is not theirs to know (the count is)."""
    rows = ReviewItemReport.objects.filter(item_id__in=list(item_ids))
    if scope.partner_id is not None:
        rows = rows.filter(report__partner_id=scope.partner_id)
    pairs = rows.values_list("item_id", "report__partner__display_name").distinct()
    names: dict[int, list[str]] = {}
    for item_id, name in pairs.order_by("item_id", "report__partner__display_name"):
        names.setdefault(item_id, []).append(name)
    return names
