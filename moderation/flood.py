"""Floods, the moderation side: when triage sees a flood on a bank hash (matching.quarantine),
the hash is quarantined and the report's item is marked ``flood``, escalated and put at the
top of the senior queue; later reports of that hash fold into it. A senior's decision on a
flood item settles the quarantine: confirm releases the hash, dismiss withdraws it and puts
it on the negative bank. Both run inside the caller's transaction, audited."""

from django.conf import settings
from django.contrib.auth.models import User

from audit.services import Actor, audit_record
from matching.models import MatchReport
from matching.quarantine import (
    bank_hash_flood_withdraw,
    bank_hash_quarantine,
    bank_hash_quarantine_release,
    bank_hash_quarantined,
    flood_detected,
)
from matching.services import reports_answer
from moderation.audit_events import ITEM, ITEM_FLOOD
from moderation.models import OPEN_STATES, ReviewItem, ReviewState

WORKER = Actor.system("flood-guard")


def flood_item_open(*, bank_hash_id: int) -> ReviewItem | None:
    """The open flood item of a quarantined hash: every later report of it goes there."""
    items = ReviewItem.objects.filter(bank_hash_id=bank_hash_id, state__in=OPEN_STATES, flood=True)
    return items.order_by("opened_at", "pk").first()


def flood_priority(item: ReviewItem) -> int:
    return item.partner_count + (settings.NCII_FLOOD_PRIORITY if item.flood else 0)


def flood_guard(*, bank_hash_id: int) -> bool:
    """Is the hash quarantined, now that this report arrived? On the report that makes a
    flood: quarantine it and put every open item about it at the top of the senior queue.

    Triage calls this before it writes any audit event: the items are locked first, then
    the audit chain, then the bank hash, the order a decision takes them in (item, its audit
    event, the hash's feedback), so a flood and a decision never deadlock."""
    if bank_hash_quarantined(bank_hash_id=bank_hash_id):
        return True
    if not flood_detected(bank_hash_id=bank_hash_id):
        return False
    items = ReviewItem.objects.select_for_update().filter(bank_hash_id=bank_hash_id, state__in=OPEN_STATES)
    for item in list(items.order_by("pk")):
        item_flood_mark(item)
    bank_hash_quarantine(bank_hash_id=bank_hash_id, actor=WORKER)
    return True


def item_flood_mark(item: ReviewItem) -> None:
    """Mark one item flood: escalated, at the top of the senior queue (the caller holds its lock)."""
    before = {"state": item.state, "version": item.version, "priority": item.priority}
    item.flood, item.state = True, ReviewState.ESCALATED
    item.version += 1 if before["state"] != ReviewState.ESCALATED else 0
    item.priority = flood_priority(item)
    item.save(update_fields=["flood", "state", "version", "priority"])
    report_ids = list(item.memberships.values_list("report_id", flat=True))
    reports_answer(
        report_ids=report_ids, outcome=MatchReport.Outcome.ESCALATED, decided_at=None, note="", note_partner_id=None
    )
    audit_record(
        actor=WORKER,
        action=ITEM_FLOOD,
        object_type=ITEM,
        object_id=item.pk,
        before=before,
        after={"state": item.state, "version": item.version, "priority": item.priority, "flood": True},
    )


def flood_settle(*, item: ReviewItem, moderator: User, note: str) -> None:
    """After a decision on a flood item: release or withdraw its quarantined hash."""
    if not item.flood:
        return
    actor = Actor.user(moderator)
    if item.state == ReviewState.CONFIRMED:
        bank_hash_quarantine_release(bank_hash_id=item.bank_hash_id, actor=actor, reason=note)
    elif item.state == ReviewState.DISMISSED:
        bank_hash_flood_withdraw(bank_hash_id=item.bank_hash_id, actor=actor, reason=note)
