"""Possible minors: a moderator or caseworker who believes an item shows a person under 18
sends it to the child-safety team (the ``child_safety`` role). The item leaves the ordinary
queues at once (``item_visible_to``); only that team sees and decides it, refers it by the
route the deployment configures (NCII_MINORS_SERVICE_REFERRAL_*), or sends it back. Each move
is one transaction with its audit event, whose reason says why. Partners learn nothing but
the eventual outcome: no shared note is possible on such an item."""

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from audit.services import Actor, audit_record
from moderation.audit_events import ITEM, ITEM_MINOR_CLEARED, ITEM_POSSIBLE_MINOR
from moderation.models import ReviewItem
from moderation.scope import staff_scope
from moderation.selectors import item_visible_to
from moderation.services import DecisionRefused, ItemNotFound, NotPermitted
from ncii_site.errors import ReasonRequired
from ncii_site.roles import REVIEW, REVIEW_MINOR, WORK_CASE


def minor_reason_clean(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Say why you believe the item shows a person under 18.")
    if len(reason) > settings.NCII_MINOR_REASON_MAX_CHARS:
        raise ReasonRequired(f"Keep the reason to {settings.NCII_MINOR_REASON_MAX_CHARS} characters.")
    return reason


@transaction.atomic(durable=True)
def item_mark_possible_minor(*, actor: User, item_id: int, reason: str) -> ReviewItem:
    """Send the item to the child-safety team. Refused, writing nothing, without a reason, for
    a role that neither reviews nor works cases, or for an item already marked."""
    if not (actor.has_perm(REVIEW) or actor.has_perm(WORK_CASE)):
        raise NotPermitted("Your role may not mark items.")
    reason = minor_reason_clean(reason)
    item = _locked_item(actor=actor, item_id=item_id)
    if item.possible_minor:
        raise DecisionRefused("This item is already with the child-safety team; nothing was changed.")
    before = {"possible_minor": False, "claimed_by": item.claimed_by_id}
    item.possible_minor, item.claimed_by, item.claim_expires_at = True, None, None
    item.version += 1
    item.save(update_fields=["possible_minor", "claimed_by", "claim_expires_at", "version"])
    audit_record(
        actor=Actor.user(actor),
        action=ITEM_POSSIBLE_MINOR,
        object_type=ITEM,
        object_id=item.pk,
        reason=reason,
        before=before,
        after={"possible_minor": True, "version": item.version},
    )
    return item


@transaction.atomic(durable=True)
def item_clear_possible_minor(*, actor: User, item_id: int, reason: str) -> ReviewItem:
    """The child-safety team finds no person under 18: the item goes back to the ordinary queues."""
    if not actor.has_perm(REVIEW_MINOR):
        raise NotPermitted("Only the child-safety team may send an item back.")
    if not reason.strip():
        raise ReasonRequired("Say why the item does not show a person under 18.")
    reason = minor_reason_clean(reason)
    item = _locked_item(actor=actor, item_id=item_id)
    if not item.possible_minor:
        raise DecisionRefused("This item is not marked as a possible minor; nothing was changed.")
    item.possible_minor, item.version = False, item.version + 1
    item.save(update_fields=["possible_minor", "version"])
    audit_record(
        actor=Actor.user(actor),
        action=ITEM_MINOR_CLEARED,
        object_type=ITEM,
        object_id=item.pk,
        reason=reason,
        before={"possible_minor": True},
        after={"possible_minor": False, "version": item.version},
    )
    return item


def _locked_item(*, actor: User, item_id: int) -> ReviewItem:
    item = item_visible_to(staff_scope(actor)).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ItemNotFound("No such item.")
    return item
