"""Blind second review. A sampled decision (moderation.qa_sampling) waits for a second
moderator, never its first decider, who decides without seeing it; agreement closes it, a
disagreement goes to a senior moderator (neither of the two), whose decision stands: if it
differs from the item's, the item changes and partners get the new outcome as feedback."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from moderation.audit_events import ITEM, ITEM_QA_OVERTURN, QA, QA_BLIND_OPENED, QA_RESOLVED, QA_SECOND
from moderation.models import QaReview, QaState, ReviewItem
from moderation.qa_sampling import SAMPLED_STATES
from moderation.scope import staff_scope
from moderation.selectors import item_visible_to
from moderation.services import (
    DECISIONS,
    DecisionReason,
    DecisionRefused,
    NotPermitted,
    _answer_reports,
    decision_reason_clean,
)
from ncii_site.errors import NotFound
from ncii_site.roles import REVIEW, REVIEW_ESCALATED


class QaNotFound(NotFound):
    """No such QA review, or not one this moderator may see (its first decider never may)."""


def _outcome(decision: str) -> str:
    target = DECISIONS.get(decision)
    if target not in SAMPLED_STATES:
        raise DecisionRefused("A second review confirms or dismisses.", status=400)
    return str(target)


def _locked_review(*, moderator: User, qa_id: int) -> QaReview:
    visible = item_visible_to(staff_scope(moderator))
    review = QaReview.objects.select_for_update().filter(pk=qa_id, item__in=visible).first()
    if review is None or review.first_by_id == moderator.pk:
        raise QaNotFound("No such review.")
    return review


@transaction.atomic(durable=True)
def qa_blind_open(*, moderator: User, qa_id: int) -> None:
    """A senior moderator or admin opens a waiting review's blind page: from now until the review
    is recorded, every staff page hides the item's decision from them (moderation/qa_blind.py).
    Moderators need no record: they are blind to every review they may give."""
    if not moderator.has_perm(REVIEW_ESCALATED):
        return
    review = _locked_review(moderator=moderator, qa_id=qa_id)
    if review.state != QaState.WAITING or review.blind_to.filter(pk=moderator.pk).exists():
        return
    review.blind_to.add(moderator)
    audit_record(actor=Actor.user(moderator), action=QA_BLIND_OPENED, object_type=QA, object_id=review.pk)


@transaction.atomic(durable=True)
def qa_second_decide(*, moderator: User, qa_id: int, decision: str, reason_code: str, note: str = "") -> QaReview:
    """The second moderator's blind decision: agreed, or disputed for a senior. The note
    (internal) is the audit event's reason."""
    if not moderator.has_perm(REVIEW):
        raise NotPermitted("Your role may not review items.")
    outcome = _outcome(decision)
    reason = decision_reason_clean(code=reason_code, note=note, visibility="internal")
    review = _locked_review(moderator=moderator, qa_id=qa_id)
    if review.state != QaState.WAITING:
        raise DecisionRefused("Someone else has already given this second review; nothing was saved.")
    review.second_by, review.second_at = moderator, timezone.now()
    review.second_state, review.second_code = outcome, reason.code
    review.state = QaState.AGREED if outcome == review.first_state else QaState.DISPUTED
    review.save()
    after = {"state": review.state, "outcome": outcome, "code": reason.code}
    audit_record(
        actor=Actor.user(moderator),
        action=QA_SECOND,
        object_type=QA,
        object_id=review.pk,
        reason=reason.note,
        after=after,
    )
    return review


@transaction.atomic(durable=True)
def qa_resolve(*, moderator: User, qa_id: int, decision: str, reason_code: str, note: str = "") -> QaReview:
    """A senior moderator settles a disputed review. Their outcome stands: when it differs
    from the item's, the item takes it (audited) and every report and the hub's feedback
    follow, unless the item was decided again since (then only the review is closed)."""
    if not moderator.has_perm(REVIEW_ESCALATED):
        raise NotPermitted("Only a senior moderator settles a disputed review.")
    outcome = _outcome(decision)
    reason = decision_reason_clean(code=reason_code, note=note, visibility="internal")
    review = _locked_review(moderator=moderator, qa_id=qa_id)
    if review.state != QaState.DISPUTED:
        raise DecisionRefused("This review is not waiting for a senior moderator; nothing was saved.")
    if review.second_by_id == moderator.pk:
        raise NotPermitted("You gave the second review; another senior moderator must settle it.")
    review.senior_by, review.final_state, review.resolved_at = moderator, outcome, timezone.now()
    review.state = QaState.RESOLVED
    review.save()
    changed = _item_overturn(review=review, moderator=moderator, reason=reason)
    after = {"outcome": outcome, "code": reason.code, "item_changed": changed}
    audit_record(
        actor=Actor.user(moderator), action=QA_RESOLVED, object_type=QA, object_id=review.pk, reason=note, after=after
    )
    return review


def _item_overturn(*, review: QaReview, moderator: User, reason: DecisionReason) -> bool:
    item = ReviewItem.objects.select_for_update().get(pk=review.item_id)
    if item.version != review.item_version or item.state == review.final_state:
        return False
    before = {"state": item.state, "version": item.version}
    item.state, item.version = review.final_state, item.version + 1
    item.decided_by, item.decided_at = moderator, timezone.now()
    item.decision_code, item.decision_note, item.note_visibility = reason.code, reason.note, reason.visibility
    item.claimed_by, item.claim_expires_at = None, None
    item.save()
    audit_record(
        actor=Actor.user(moderator),
        action=ITEM_QA_OVERTURN,
        object_type=ITEM,
        object_id=item.pk,
        reason=reason.note,
        before=before,
        after={"state": item.state, "version": item.version, "code": reason.code, "qa": review.pk},
    )
    _answer_reports(item=item, moderator=moderator, reason=reason)
    return True
