from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.models import HashFeedback, MatchReport, Partner
from matching.services import feedback_record
from moderation.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATES,
    ReviewItem,
    ReviewItemReport,
    ReviewState,
)
from moderation.selectors import decision_permission, item_visible_to, queue_permission, staff_partner_id

ITEM = "moderation.reviewitem"


class ItemNotFound(Exception):
    """No such item, or not one this moderator may see (deliberately the same)."""


class DecisionRefused(Exception):
    """Not allowed from the item's current state, or lost a race: nothing was written."""


class NotPermitted(Exception):
    pass


class ReasonRequired(ValueError):
    pass


DECISIONS = {
    "confirm": ReviewState.CONFIRMED,
    "dismiss": ReviewState.DISMISSED,
    "escalate": ReviewState.ESCALATED,
    "reopen": ReviewState.PENDING,
}
FEEDBACK_FOR = {
    ReviewState.CONFIRMED: HashFeedback.Value.BLOCKED,
    ReviewState.DISMISSED: HashFeedback.Value.NOT_BLOCKED,
}
OUTCOME_FOR = {
    ReviewState.PENDING: MatchReport.Outcome.PENDING,
    ReviewState.ESCALATED: MatchReport.Outcome.ESCALATED,
    ReviewState.CONFIRMED: MatchReport.Outcome.CONFIRMED,
    ReviewState.DISMISSED: MatchReport.Outcome.DISMISSED,
}


# --- triage (the worker) ------------------------------------------------------------------


@transaction.atomic(durable=True)
def report_triage(*, report_id: int) -> ReviewItem | None:
    """Put a received report into the open review item for its bank hash, opening one if
    there is none. Running it again for the same report changes nothing."""
    report = MatchReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.status != MatchReport.Status.RECEIVED:
        return None
    item = _open_item_for(bank_hash_id=report.bank_hash_id)
    ReviewItemReport.objects.create(item=item, report=report)
    _item_recount(item)
    report.status, report.processed_at = MatchReport.Status.PROCESSED, timezone.now()
    report.outcome = OUTCOME_FOR[ReviewState(item.state)]
    report.save(update_fields=["status", "processed_at", "outcome"])
    audit_record(
        actor=Actor.system("worker"), action="report.triaged", object_type="matching.matchreport",
        object_id=report.pk, after={"item": item.pk, "partners": item.partner_count},
    )
    return item


def _open_item_for(*, bank_hash_id: int) -> ReviewItem:
    open_items = ReviewItem.objects.select_for_update().filter(state__in=OPEN_STATES)
    item = open_items.filter(bank_hash_id=bank_hash_id).first()
    if item:
        return item
    try:
        with transaction.atomic():
            item = ReviewItem.objects.create(bank_hash_id=bank_hash_id)
    except IntegrityError:  # another worker opened it a moment ago
        return open_items.get(bank_hash_id=bank_hash_id)
    audit_record(
        actor=Actor.system("worker"), action="item.opened", object_type=ITEM, object_id=item.pk,
        after={"state": item.state, "bank_hash": bank_hash_id},
    )
    return item


def _item_recount(item: ReviewItem) -> None:
    stats = MatchReport.objects.filter(membership__item=item).aggregate(
        partners=Count("partner", distinct=True), reports=Count("pk"), last=Max("received_at")
    )
    item.partner_count, item.report_count = stats["partners"], stats["reports"]
    item.priority, item.last_reported_at = stats["partners"], stats["last"]
    item.save(update_fields=["partner_count", "report_count", "priority", "last_reported_at"])


# --- claims -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def review_claim_next(
    *, moderator: AbstractBaseUser, state: str = ReviewState.PENDING
) -> ReviewItem | None:
    """Lease the next item of a queue (priority, then age) to this moderator; an item they
    already hold comes first. Two moderators never hold the same item."""
    if not moderator.has_perm(queue_permission(state)):
        raise NotPermitted("You may not work this queue.")
    now = timezone.now()
    queue = item_visible_to(moderator).filter(state=state).order_by("-priority", "opened_at", "pk")
    held = queue.filter(claimed_by=moderator, claim_expires_at__gte=now).select_for_update().first()
    free = Q(claimed_by__isnull=True) | Q(claim_expires_at__lt=now)
    item = held or queue.filter(free).select_for_update(skip_locked=True).first()
    if item is None:
        return None
    item.claimed_by = moderator  # type: ignore[assignment]
    item.claim_expires_at = now + timedelta(seconds=settings.NCII_CLAIM_SECONDS)
    item.save(update_fields=["claimed_by", "claim_expires_at"])
    audit_record(
        actor=Actor.user(moderator), action="item.claimed", object_type=ITEM, object_id=item.pk,
        after={"until": item.claim_expires_at.isoformat()},
    )
    return item


# --- decisions ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def review_decide(
    *,
    moderator: AbstractBaseUser,
    item_id: int,
    decision: str,
    reason: str,
    expected_version: int | None = None,
) -> ReviewItem:
    """Apply a decision (confirm, dismiss, escalate, reopen) as one state transition with its
    audit event and partner feedback. Refused, writing nothing, when the transition is not
    allowed, the moderator may not make it, or the item changed since they looked."""
    target = DECISIONS.get(decision)
    if target is None:
        raise DecisionRefused(f"Unknown decision {decision!r}.")
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Give a reason for the decision.")
    item = item_visible_to(moderator).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ItemNotFound("No such item.")
    _check_decision(
        moderator=moderator, item=item, target=target, expected_version=expected_version
    )
    before = {"state": item.state, "version": item.version}
    _apply(item=item, moderator=moderator, target=target, reason=reason)
    audit_record(
        actor=Actor.user(moderator), action=f"item.{decision}", object_type=ITEM, object_id=item.pk,
        reason=reason, before=before, after={"state": item.state, "version": item.version},
    )
    _answer_reports(item=item, moderator=moderator, reason=reason)
    return item


def _check_decision(
    *, moderator: AbstractBaseUser, item: ReviewItem, target: str, expected_version: int | None
) -> None:
    if expected_version is not None and expected_version != item.version:
        raise DecisionRefused(
            "Someone else changed this item since you opened it; nothing was saved."
        )
    if target not in ALLOWED_TRANSITIONS[item.state]:
        raise DecisionRefused(f"A {item.state} item cannot become {target}; nothing was saved.")
    if not moderator.has_perm(decision_permission(state=item.state, target=target)):
        raise NotPermitted("Your role may not make this decision.")
    held_by_other = item.claimed_by_id not in (None, moderator.pk)
    if held_by_other and item.claim_expires_at and item.claim_expires_at > timezone.now():
        raise DecisionRefused("Another moderator is reviewing this item; nothing was saved.")


def _apply(*, item: ReviewItem, moderator: AbstractBaseUser, target: str, reason: str) -> None:
    reopening = target == ReviewState.PENDING
    item.state, item.version = target, item.version + 1
    item.claimed_by, item.claim_expires_at = None, None
    item.decided_by = None if reopening else moderator  # type: ignore[assignment]
    item.decided_at = None if reopening else timezone.now()
    item.decision_reason = "" if reopening else reason
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise DecisionRefused(
            "Another open item already exists for this hash; decide that one instead. "
            "Nothing was saved."
        ) from None


def _answer_reports(*, item: ReviewItem, moderator: AbstractBaseUser, reason: str) -> None:
    MatchReport.objects.filter(membership__item=item).update(
        outcome=OUTCOME_FOR[ReviewState(item.state)], decided_at=item.decided_at
    )
    feedback = FEEDBACK_FOR.get(ReviewState(item.state))
    if feedback:
        partner_id = staff_partner_id(moderator)
        partner = Partner.objects.get(pk=partner_id) if partner_id else None
        feedback_record(
            bank_hash_id=item.bank_hash_id, partner=partner,
            value=feedback, tags=[], actor=Actor.user(moderator), reason=reason,
        )
