"""What partners' webhooks hear about the bank: a hash's status changes and quarantine, and
moderators' decisions on a partner's reports. Called inside the changing transaction;
deliveries go out after it commits (partners.webhooks)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from matching.models import BankHash, MatchReport
from matching.signal_types import SignalType
from partners.models import Partner
from partners.webhook_models import WebhookEvent
from partners.webhooks import webhook_emit

STATUS_EVENT = {
    BankHash.Status.ACTIVE: WebhookEvent.HASH_ACTIVATED,
    BankHash.Status.WITHDRAWN: WebhookEvent.HASH_WITHDRAWN,
}


def bank_hash_data(bank_hash: BankHash) -> dict[str, Any]:
    return {
        "bankHashId": str(bank_hash.public_id),
        "signalType": bank_hash.signal_type,
        "hashValue": bank_hash.value,
        "hashStatus": bank_hash.status,
        "quarantined": bank_hash.quarantined_at is not None,
    }


def bank_hash_announce(bank_hash: BankHash, *, event: str | None = None) -> None:
    """``event`` defaults to the one for the hash's current status. A VideoPDQ is announced
    only to partners who opted in to videos, as the exchange serves it."""
    partner_ids = None
    if bank_hash.signal_type == SignalType.VPDQ:
        partner_ids = list(Partner.objects.filter(receives_video_pdq=True).values_list("pk", flat=True))
    event = event or STATUS_EVENT[BankHash.Status(bank_hash.status)]
    webhook_emit(event=event, data=bank_hash_data(bank_hash), partner_ids=partner_ids)


def reports_decided_announce(*, reports: Iterable[MatchReport], outcome: str, decided_at: datetime | None) -> None:
    """Each report's partner hears of the decision on its own report, and nobody else."""
    for report in reports:
        data = {
            "reportId": report.pk,
            "contentId": report.content_id,
            "outcome": outcome,
            "decidedAt": decided_at.isoformat() if decided_at else None,
            "bankHashId": str(report.bank_hash.public_id),
            **({"decisionNote": report.decision_note} if report.decision_note else {}),
        }
        webhook_emit(event=WebhookEvent.REPORT_DECIDED, data=data, partner_ids=[report.partner_id])
