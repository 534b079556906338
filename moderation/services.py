from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.models import HashFeedback
from matching.services import feedback_record, reports_answer
from moderation.audit_events import (
    ITEM,
    ITEM_CLAIM_EXPIRED,
    ITEM_CLAIM_EXTENDED,
    ITEM_CLAIM_RELEASED,
    ITEM_CLAIMED,
    ITEM_DECISION,
)
from moderation.flood import flood_settle
from moderation.models import (
    ALLOWED_TRANSITIONS,
    NoteVisibility,
    ReviewItem,
    ReviewState,
)
from moderation.qa_sampling import qa_sample
from moderation.scope import staff_scope
from moderation.selectors import (
    QUEUE_ORDER,
    decision_permission,
    item_visible_to,
    queue_permission,
    reason_codes,
)
from moderation.triage import OUTCOME_FOR, item_choice_lock, item_open_matching
from ncii_site.errors import DomainError, NotFound, ReasonRequired
from partners.models import Partner


class ItemNotFound(NotFound):
    """No such item, or not one this moderator may see (deliberately the same)."""


class DecisionRefused(DomainError):
    """Not allowed from the item's current state, or lost a race: nothing was written."""

    code = "decision_refused"


class NotPermitted(DomainError):
    code = "forbidden"
    status = 403


class ClaimNotHeld(DomainError):
    """The moderator does not hold this item's claim: nothing was changed."""

    code = "claim_not_held"


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
NOTE_REQUIRED_CODES = {"other"}
NOTE_MAX_LENGTH = 4000


@dataclass(frozen=True)
class DecisionReason:
    code: str
    note: str = ""
    visibility: str = NoteVisibility.INTERNAL


def decision_reason_clean(*, code: str, note: str, visibility: str) -> DecisionReason:
    """A decision's reason as the rules want it: a configured code, a note where the code
    needs one, a known visibility."""
    note = note.strip()
    if code not in dict(reason_codes()):
        raise ReasonRequired("Choose a reason code from the list.")
    if code in NOTE_REQUIRED_CODES and not note:
        raise ReasonRequired("This reason needs a note saying why.")
    if len(note) > NOTE_MAX_LENGTH:
        raise ReasonRequired(f"Keep the note to {NOTE_MAX_LENGTH} characters.")
    if visibility not in NoteVisibility.values:
        raise ReasonRequired("Say who may read the note.")
    return DecisionReason(code=code, note=note, visibility=visibility)


# --- claims -------------------------------------------------------------------------------


def claims_expire() -> int:
    """Release leases that ran out, so the queue shows who is really working what."""
    expired = 0
    for item_id in ReviewItem.objects.filter(claim_expires_at__lt=timezone.now()).values_list("pk", flat=True):
        with transaction.atomic():
            item = ReviewItem.objects.select_for_update().get(pk=item_id)
            if item.claim_expires_at is None or item.claim_expires_at >= timezone.now():
                continue
            holder = item.claimed_by_id
            item.claimed_by, item.claim_expires_at = None, None
            item.save(update_fields=["claimed_by", "claim_expires_at"])
            audit_record(
                actor=Actor.system("claims"),
                action=ITEM_CLAIM_EXPIRED,
                object_type=ITEM,
                object_id=item.pk,
                before={"claimed_by": holder},
            )
            expired += 1
    return expired


@transaction.atomic(durable=True)
def review_claim_next(
    *, moderator: User, state: str = ReviewState.PENDING, exclude: int | None = None
) -> ReviewItem | None:
    """Lease the next item of a queue (priority, then age) to this moderator; an item they
    already hold comes first, except ``exclude`` (the one they are skipping). Two moderators
    never hold the same item."""
    if not moderator.has_perm(queue_permission(state)):
        raise NotPermitted("You may not work this queue.")
    now = timezone.now()
    queue = item_visible_to(staff_scope(moderator)).filter(state=state).order_by(*QUEUE_ORDER)
    queue = queue.exclude(reopened_decider=moderator)  # four eyes: not theirs to decide again
    if exclude is not None:
        queue = queue.exclude(pk=exclude)
    held = queue.filter(claimed_by=moderator, claim_expires_at__gte=now).select_for_update().first()
    free = Q(claimed_by__isnull=True) | Q(claim_expires_at__lt=now)
    item = held or queue.filter(free).select_for_update(skip_locked=True).first()
    if item is None:
        return None
    item.claimed_by = moderator
    item.claim_expires_at = now + timedelta(seconds=settings.NCII_CLAIM_SECONDS)
    item.save(update_fields=["claimed_by", "claim_expires_at"])
    audit_record(
        actor=Actor.user(moderator),
        action=ITEM_CLAIMED,
        object_type=ITEM,
        object_id=item.pk,
        after={"until": item.claim_expires_at.isoformat()},
    )
    return item


@transaction.atomic(durable=True)
def review_claim_extend(*, moderator: User, item_id: int) -> ReviewItem:
    """Renew the lease on an item this moderator holds, while they are still working it."""
    item = _held_item(moderator=moderator, item_id=item_id)
    item.claim_expires_at = timezone.now() + timedelta(seconds=settings.NCII_CLAIM_SECONDS)
    item.save(update_fields=["claim_expires_at"])
    audit_record(
        actor=Actor.user(moderator),
        action=ITEM_CLAIM_EXTENDED,
        object_type=ITEM,
        object_id=item.pk,
        after={"until": item.claim_expires_at.isoformat()},
    )
    return item


@transaction.atomic(durable=True)
def review_claim_release(*, moderator: User, item_id: int) -> ReviewItem:
    """Hand an item this moderator holds back to the queue. Nobody releases another's claim."""
    item = _held_item(moderator=moderator, item_id=item_id)
    item.claimed_by, item.claim_expires_at = None, None
    item.save(update_fields=["claimed_by", "claim_expires_at"])
    audit_record(
        actor=Actor.user(moderator),
        action=ITEM_CLAIM_RELEASED,
        object_type=ITEM,
        object_id=item.pk,
        before={"claimed_by": moderator.pk},
    )
    return item


def _held_item(*, moderator: User, item_id: int) -> ReviewItem:
    """The item, locked, if this moderator holds its claim. A lapsed claim nobody else has
    taken since is still theirs to extend or release."""
    item = item_visible_to(staff_scope(moderator)).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ItemNotFound("No such item.")
    if item.claimed_by_id != moderator.pk:
        raise ClaimNotHeld("You do not hold this item's claim; nothing was changed.")
    return item


# --- decisions ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def review_decide(
    *,
    moderator: User,
    item_id: int,
    decision: str,
    reason_code: str,
    note: str = "",
    note_visibility: str = NoteVisibility.INTERNAL,
    expected_version: int | None = None,
    bulk: bool = False,
) -> ReviewItem:
    """Apply a decision (confirm, dismiss, escalate, reopen) with its reason code and note as
    one state transition with its audit event and partner feedback. Refused, writing
    nothing, when the reason is incomplete, the transition is not allowed, the moderator may
    not make it, or the item changed since they looked."""
    target = DECISIONS.get(decision)
    if target is None:
        raise DecisionRefused(f"Unknown decision {decision!r}.")
    reason = decision_reason_clean(code=reason_code, note=note, visibility=note_visibility)
    item = item_visible_to(staff_scope(moderator)).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ItemNotFound("No such item.")
    _check_decision(moderator=moderator, item=item, target=target, expected_version=expected_version)
    if item.possible_minor and reason.visibility == NoteVisibility.PARTNER:
        raise DecisionRefused("Notes on a possible minor stay internal; nothing was saved.", status=400)
    before = {"state": item.state, "version": item.version}
    _apply(item=item, moderator=moderator, target=target, reason=reason)
    after = {"state": item.state, "version": item.version, "code": reason.code, "note_visibility": reason.visibility}
    audit_record(
        actor=Actor.user(moderator),
        action=ITEM_DECISION[decision],
        object_type=ITEM,
        object_id=item.pk,
        reason=reason.note,
        before=before,
        after=after | ({"bulk": True} if bulk else {}),
    )
    _answer_reports(item=item, moderator=moderator, reason=reason)
    flood_settle(item=item, moderator=moderator, note=reason.note)
    qa_sample(item=item, moderator=moderator)
    return item


def _check_decision(*, moderator: User, item: ReviewItem, target: str, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != item.version:
        raise DecisionRefused("Someone else changed this item since you opened it; nothing was saved.")
    if target not in ALLOWED_TRANSITIONS[item.state]:
        raise DecisionRefused(f"A {item.state} item cannot become {target}; nothing was saved.")
    if not moderator.has_perm(decision_permission(state=item.state, target=target, possible_minor=item.possible_minor)):
        raise NotPermitted("Your role may not make this decision.")
    held_by_other = item.claimed_by_id not in (None, moderator.pk)
    if held_by_other and item.claim_expires_at and item.claim_expires_at > timezone.now():
        raise DecisionRefused("Another moderator is reviewing this item; nothing was saved.")
    if target == ReviewState.PENDING:
        _reopen_check(item)
    elif item.reopened_decider_id == moderator.pk:
        raise NotPermitted("You made the decision that was reopened; another moderator must decide it now.")


def _reopen_check(item: ReviewItem) -> None:
    """A reopened item must not twin an open item about the same content. Under the lock that
    triage holds while it chooses an item, so an item triage is opening right now is seen."""
    item_choice_lock(bank_hash_id=item.bank_hash_id)
    key = (item.content_hash, item.content_from_image)
    if item_open_matching(bank_hash_id=item.bank_hash_id, key=key, exclude=item.pk):
        raise DecisionRefused(
            "Another open item already exists for this content; decide that one instead. Nothing was saved."
        )


def _apply(*, item: ReviewItem, moderator: User, target: str, reason: DecisionReason) -> None:
    reopening = target == ReviewState.PENDING
    item.reopened_decider = item.decided_by if reopening else None
    item.state, item.version = target, item.version + 1
    item.claimed_by, item.claim_expires_at = None, None
    item.decided_by = None if reopening else moderator
    item.decided_at = None if reopening else timezone.now()
    item.decision_code, item.decision_note, item.note_visibility = reason.code, reason.note, reason.visibility
    item.save()


def _answer_reports(*, item: ReviewItem, moderator: User, reason: DecisionReason) -> None:
    """The outcome goes on every report of the item. A shared note goes only on the reports
    this moderator may see: a partner's own moderator speaks to that partner alone."""
    partner_id = staff_scope(moderator).partner_id
    shared = reason.visibility == NoteVisibility.PARTNER and not item.possible_minor  # a minor's: the outcome only
    reports_answer(
        report_ids=list(item.memberships.values_list("report_id", flat=True)),
        outcome=OUTCOME_FOR[ReviewState(item.state)],
        decided_at=item.decided_at,
        note=reason.note if shared else "",
        note_partner_id=partner_id,
    )
    feedback = FEEDBACK_FOR.get(ReviewState(item.state))
    if feedback:
        partner = Partner.objects.get(pk=partner_id) if partner_id else None
        feedback_record(
            bank_hash_id=item.bank_hash_id,
            partner=partner,
            value=feedback,
            tags=[],
            actor=Actor.user(moderator),
            reason=reason.note,
        )


# --- bulk ---------------------------------------------------------------------------------

BULK_DECISIONS = ("confirm", "dismiss", "escalate")


class BulkTooLarge(DomainError, ValueError):
    code = "too_many_items"
    status = 400


@dataclass(frozen=True)
class BulkResult:
    decided: list[int]
    refused: dict[int, str]  # item id -> why nothing was written for it


def review_decide_bulk(
    *,
    moderator: User,
    items: dict[int, int | None],
    decision: str,
    reason_code: str,
    note: str = "",
    note_visibility: str = NoteVisibility.INTERNAL,
) -> BulkResult:
    """One decision for many items (id -> the version the moderator saw): each one a
    review_decide of its own, its own transaction and audit event, so a refusal for one
    stops none of the others. Refused whole, writing nothing, past NCII_BULK_MAX items, for
    reopening, or for an incomplete reason. Never call it inside a transaction."""
    if decision not in BULK_DECISIONS:
        raise DecisionRefused("Bulk decisions confirm, dismiss or escalate.")
    if not 0 < len(items) <= settings.NCII_BULK_MAX:
        raise BulkTooLarge(f"Decide between 1 and {settings.NCII_BULK_MAX} items at once.")
    decision_reason_clean(code=reason_code, note=note, visibility=note_visibility)
    decided, refused = [], {}
    for item_id, version in items.items():
        try:
            review_decide(
                moderator=moderator,
                item_id=item_id,
                decision=decision,
                reason_code=reason_code,
                note=note,
                note_visibility=note_visibility,
                expected_version=version,
                bulk=True,
            )
        except (ItemNotFound, NotPermitted, DecisionRefused) as exc:
            refused[item_id] = str(exc)
        else:
            decided.append(item_id)
    return BulkResult(decided=decided, refused=refused)
