"""Who must not see an item's standing decision: the blind second reviewer, until they have
recorded theirs. A moderator may give any waiting review but its first decider's, so they are
blind to all of them; a senior moderator or admin keeps the item page (they reopen and settle)
and is blind only to the reviews whose blind page they opened. The pages that show a decision
(the item page, the queue's lists and bulk page, other items' prior decisions and the hub's
feedback, the export, the case page) ask here."""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from moderation.models import QaReview, QaState
from ncii_site.roles import REVIEW, REVIEW_ESCALATED


def qa_blind_reviews(user: User) -> QuerySet[QaReview]:
    """The waiting reviews of standing decisions that this user gives or may give blind."""
    if not user.has_perm(REVIEW):
        return QaReview.objects.none()
    waiting = QaReview.objects.filter(state=QaState.WAITING, item_version=F("item__version"))
    waiting = waiting.exclude(first_by_id=user.pk)
    return waiting.filter(blind_to=user) if user.has_perm(REVIEW_ESCALATED) else waiting


def qa_blind_item_ids(user: User) -> QuerySet[QaReview, Any]:
    """For ``.exclude(pk__in=…)``: the items whose decision this user must not see now."""
    return qa_blind_reviews(user).values("item_id")


def qa_blind_among(user: User, item_ids: list[int]) -> list[int]:
    """Of these items, those whose decision this user must not see now (for the case page)."""
    return list(qa_blind_reviews(user).filter(item_id__in=item_ids).values_list("item_id", flat=True))
