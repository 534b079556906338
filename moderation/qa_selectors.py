"""Reads for the blind second review: its queues, what its page may show, agreement figures."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, F, Q, QuerySet

from moderation.models import QaReview, QaState, ReviewItem
from moderation.qa_blind import qa_blind_reviews
from moderation.qa_sampling import SAMPLED_STATES
from moderation.scope import StaffScope
from moderation.selectors import item_visible_to, reason_label
from ncii_site.roles import MANAGE_PARTNER, REVIEW, REVIEW_ESCALATED


def qa_visible_to(scope: StaffScope) -> QuerySet[QaReview]:
    """Reviews of the items this user may see, never those of their own first decisions."""
    reviews = QaReview.objects.filter(item__in=item_visible_to(scope))
    return reviews.exclude(first_by_id=scope.user.pk)


def qa_waiting(*, scope: StaffScope) -> QuerySet[QaReview]:
    return qa_visible_to(scope).filter(state=QaState.WAITING).select_related("item").order_by("sampled_at", "pk")


def qa_disputed(*, scope: StaffScope) -> QuerySet[QaReview]:
    reviews = qa_visible_to(scope).filter(state=QaState.DISPUTED).exclude(second_by_id=scope.user.pk)
    return reviews.select_related("item", "first_by", "second_by").order_by("second_at", "pk")


def qa_get_for(*, scope: StaffScope, qa_id: int) -> QaReview | None:
    """A review this user may open: a waiting one (blind) for anyone who reviews items; the
    others for senior moderators only. Its first decider never may."""
    review = qa_visible_to(scope).select_related("item__bank_hash", "first_by", "second_by").filter(pk=qa_id).first()
    user = scope.user
    if review is None or not user.has_perm(REVIEW):
        return None
    if review.state == QaState.WAITING or user.has_perm(REVIEW_ESCALATED):
        return review
    return None


def qa_blind_review_for(*, scope: StaffScope, item: ReviewItem) -> int | None:
    """The waiting second review of this item's standing decision that this user gives or may
    give blind (so the item page, which shows the decision, must not; moderation/qa_blind.py)."""
    if item.state not in SAMPLED_STATES:
        return None
    waiting = qa_blind_reviews(scope.user).filter(item=item).filter(pk__in=qa_visible_to(scope).values("pk"))
    return waiting.values_list("pk", flat=True).first()


@dataclass(frozen=True)
class Agreement:
    label: str
    reviewed: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.reviewed if self.reviewed else None


def _rows(reviews: QuerySet[QaReview], field: str) -> list[tuple[str, int, int]]:
    grouped = reviews.values(field).annotate(n=Count("pk"), agreed=Count("pk", filter=Q(second_state=F("first_state"))))
    return [(row[field], row["n"], row["agreed"]) for row in grouped.order_by(field)]


def qa_agreement(*, per_moderator: bool) -> dict[str, list[Agreement]]:
    """How often the second review agreed with the first decision: overall, per reason code
    of the first decision, and (for senior moderators and admins) per first decider."""
    reviewed = QaReview.objects.exclude(second_state="")
    total = reviewed.aggregate(n=Count("pk"), agreed=Count("pk", filter=Q(second_state=F("first_state"))))
    figures = {
        "overall": [Agreement("All reviewed decisions", total["n"], total["agreed"])],
        "by_reason": [Agreement(reason_label(code), n, a) for code, n, a in _rows(reviewed, "first_code")],
    }
    if per_moderator:
        rows = _rows(reviewed, "first_by__username")
        figures["by_moderator"] = [Agreement(name, n, a) for name, n, a in rows]
    return figures


def may_see_moderator_agreement(user: User) -> bool:
    return user.has_perm(REVIEW_ESCALATED) or user.has_perm(MANAGE_PARTNER)
