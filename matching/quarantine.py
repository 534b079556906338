"""Flood quarantine. A bank hash that draws more than NCII_FLOOD_REPORTS reports from at
least NCII_FLOOD_PARTNERS partners within NCII_FLOOD_WINDOW_SECONDS is probably not NCII (a
blank frame, a meme): it is quarantined until a senior moderator releases it (the flood was
real) or withdraws it (it goes to the negative bank and never enters the bank again).

Partners are told not to act automatically on a quarantined hash without leaving the
StopNCII wire format: its FetchHashes record stays ``Active`` and carries a CSPFeedback
from the hub, ``PendingReview`` tagged ``ncii-hub:quarantined``; lookups say
``"quarantined": true``; subscribed webhooks get ``hash.quarantined``."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.audit_events import BANK_HASH, HASH_FLOOD_WITHDRAWN, HASH_QUARANTINE_RELEASED, HASH_QUARANTINED
from matching.bank_events import bank_hash_announce
from matching.models import BankHash, MatchReport, NegativeHash
from matching.negative_bank import negative_add, negative_exact
from matching.services import bank_hash_touch
from partners.webhook_models import WebhookEvent

QUARANTINE_TAG = "ncii-hub:quarantined"
QUARANTINE_FEEDBACK = {"feedbackValue": "PendingReview", "tags": [QUARANTINE_TAG, "do-not-auto-action"]}


def flood_detected(*, bank_hash_id: int) -> bool:
    """Is the hash drawing a flood right now? One aggregate over its recent reports."""
    since = timezone.now() - timedelta(seconds=settings.NCII_FLOOD_WINDOW_SECONDS)
    recent = MatchReport.objects.filter(bank_hash_id=bank_hash_id, received_at__gte=since)
    stats = recent.aggregate(reports=Count("pk"), partners=Count("partner", distinct=True))
    return stats["reports"] > settings.NCII_FLOOD_REPORTS and stats["partners"] >= settings.NCII_FLOOD_PARTNERS


def bank_hash_quarantined(*, bank_hash_id: int) -> bool:
    return BankHash.objects.filter(pk=bank_hash_id, quarantined_at__isnull=False).exists()


def bank_hash_quarantine(*, bank_hash_id: int, actor: Actor) -> bool:
    """Quarantine the hash in the caller's transaction; False if it already is."""
    bank_hash = BankHash.objects.select_for_update().get(pk=bank_hash_id)
    if bank_hash.quarantined_at is not None:
        return False
    bank_hash.quarantined_at = timezone.now()
    _save_and_record(bank_hash, actor=actor, action=HASH_QUARANTINED)
    bank_hash_announce(bank_hash, event=WebhookEvent.HASH_QUARANTINED)
    return True


def bank_hash_quarantine_release(*, bank_hash_id: int, actor: Actor, reason: str) -> None:
    """The flood was real: partners may act on the hash automatically again."""
    bank_hash = BankHash.objects.select_for_update().get(pk=bank_hash_id)
    if bank_hash.quarantined_at is None:
        return
    bank_hash.quarantined_at = None
    _save_and_record(bank_hash, actor=actor, action=HASH_QUARANTINE_RELEASED, reason=reason)
    bank_hash_announce(bank_hash)


def bank_hash_flood_withdraw(*, bank_hash_id: int, actor: Actor, reason: str) -> None:
    """Not NCII: the hash leaves the bank and goes on the negative bank, so it never returns."""
    bank_hash = BankHash.objects.select_for_update().get(pk=bank_hash_id)
    bank_hash.quarantined_at, bank_hash.status = None, BankHash.Status.WITHDRAWN
    _save_and_record(bank_hash, actor=actor, action=HASH_FLOOD_WITHDRAWN, reason=reason)
    if not negative_exact(signal_type=bank_hash.signal_type, value=bank_hash.value):
        negative_add(
            signal_type=bank_hash.signal_type,
            value=bank_hash.value,
            reason=reason or "A dismissed flood of reports.",
            source=NegativeHash.Source.FLOOD,
            actor=actor,
        )
    bank_hash_announce(bank_hash)


def _save_and_record(bank_hash: BankHash, *, actor: Actor, action: str, reason: str = "") -> None:
    bank_hash_touch(bank_hash)  # partners see the change at their next fetch
    bank_hash.save(update_fields=["quarantined_at", "status", "modified_at"])
    audit_record(
        actor=actor,
        action=action,
        object_type=BANK_HASH,
        object_id=bank_hash.pk,
        reason=reason,
        after={"status": bank_hash.status, "quarantined": bank_hash.quarantined_at is not None},
    )
