"""What the queue's rows say about each item beyond its own columns: who reported it."""

from collections.abc import Iterable

from django.contrib.auth.models import User

from moderation.models import ReviewItemReport
from moderation.selectors import staff_partner_id


def item_partner_names(*, user: User, item_ids: Iterable[int]) -> dict[int, list[str]]:
    """The reporting partners' names per item, in one query. A partner's moderator sees only
    their own partner's name: who else reported is not theirs to know (the count is)."""
    rows = ReviewItemReport.objects.filter(item_id__in=list(item_ids))
    partner_id = staff_partner_id(user)
    if partner_id is not None:
        rows = rows.filter(report__partner_id=partner_id)
    pairs = rows.values_list("item_id", "report__partner__display_name").distinct()
    names: dict[int, list[str]] = {}
    for item_id, name in pairs.order_by("item_id", "report__partner__display_name"):
        names.setdefault(item_id, []).append(name)
    return names
