"""The sandbox: what the partner APIs answer for sandbox keys. The same shapes as the real
answers, from the sandbox bank (partners.sandbox) and SandboxReport only: nothing here
reads or writes the real bank, match reports, review items or the audit trail. A sandbox
report is decided at once by the documented rule, and its partner's ``report.decided``
webhooks fire (with ``"sandbox": true``), so the whole loop can be tried."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from matching.exchange_selectors import epoch_seconds
from matching.exchange_services import UnknownHash
from matching.hamming import hamming_distance
from matching.intake import NoBankMatch, partner_radius
from matching.models import SandboxReport
from matching.signal_types import SignalType
from partners.models import Partner
from partners.sandbox import SANDBOX_BANK, SANDBOX_MODIFIED, SandboxHash, sandbox_outcome
from partners.webhook_models import WebhookEvent
from partners.webhooks import webhook_emit


def _matches(partner: Partner, signal_type: str, value: str) -> list[tuple[SandboxHash, int]]:
    radius = partner_radius(partner) if signal_type == SignalType.PDQ else 0
    found = [
        (h, hamming_distance(h.value, value) if signal_type == SignalType.PDQ else (0 if h.value == value else 1))
        for h in SANDBOX_BANK
        if h.signal_type == signal_type and h.status == "Active"
    ]
    return sorted(((h, d) for h, d in found if d <= radius), key=lambda m: m[1])


def _match_out(sandbox_hash: SandboxHash, distance: int) -> dict[str, Any]:
    return {
        "bankHashId": str(sandbox_hash.public_id),
        "hashValue": sandbox_hash.value,
        "distance": distance,
        "hashStatus": sandbox_hash.status,
        "quarantined": sandbox_hash.quarantined,
        "verdicts": {"blocked": 0, "notBlocked": 0},
        "hubVerdict": sandbox_hash.hub_verdict,
        "hubConfirmed": sandbox_hash.hub_verdict == "Blocked",
    }


def sandbox_lookup(*, partner: Partner, signal_type: str, values: list[str], given: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "hashValue": raw,
            "knownBenign": False,
            "matches": [_match_out(h, d) for h, d in _matches(partner, signal_type, v)],
        }
        for raw, v in zip(given, values, strict=True)
    ]


@transaction.atomic(durable=True)
def sandbox_report_ingest(*, partner: Partner, signal_type: str, value: str, content_id: str) -> SandboxReport:
    found = _matches(partner, signal_type, value)
    if not found:
        raise NoBankMatch("The hash matches nothing in the sandbox bank; nothing was stored.")
    sandbox_hash, distance = found[0]
    report = SandboxReport.objects.create(
        partner=partner,
        signal_type=signal_type,
        hash_value=value,
        sandbox_hash=sandbox_hash.value,
        distance=distance,
        content_id=content_id,
        outcome=sandbox_outcome(content_id),
        decided_at=timezone.now(),
    )
    data = {
        "reportId": report.pk,
        "contentId": content_id,
        "outcome": report.outcome,
        "decidedAt": report.decided_at.isoformat(),
        "bankHashId": str(sandbox_hash.public_id),
        "sandbox": True,
    }
    webhook_emit(event=WebhookEvent.REPORT_DECIDED, data=data, partner_ids=[partner.pk])
    return report


def sandbox_report_get(*, partner: Partner, report_id: int) -> SandboxReport | None:
    return SandboxReport.objects.filter(partner=partner, pk=report_id).first()


def sandbox_report_out(report: SandboxReport) -> dict[str, Any]:
    sandbox_hash = next(h for h in SANDBOX_BANK if h.value == report.sandbox_hash)
    return {
        "id": report.pk,
        "status": "processed",
        "signalType": report.signal_type,
        "hashValue": report.hash_value,
        "contentId": report.content_id,
        "distance": report.distance,
        "bankHash": {
            "bankHashId": str(sandbox_hash.public_id),
            "signalType": sandbox_hash.signal_type,
            "hashValue": sandbox_hash.value,
            "hashStatus": sandbox_hash.status,
        },
        "outcome": report.outcome,
        "receivedAt": report.received_at.isoformat(),
        "decidedAt": report.decided_at.isoformat(),
        "hasImage": False,
        "claimDistance": None,
        "hashMismatch": None,
        "lowQuality": None,
        "sandbox": True,
    }


def sandbox_fetch(*, start: int) -> dict[str, Any]:
    """The whole sandbox bank in one page (it is a handful of records)."""
    stamp = epoch_seconds(SANDBOX_MODIFIED)
    records = [
        {
            "lastModtimestamp": stamp,
            "signalType": h.signal_type,
            "hashValue": h.value,
            "hashStatus": h.status,
            "caseNumbers": {},
            "CSPFeedbacks": [],
        }
        for h in SANDBOX_BANK
        if stamp >= start
    ]
    next_set = max(start, stamp + 1)
    return {
        "count": len(records),
        "nextPageToken": None,
        "nextSetTimestamp": next_set,
        "hasMoreRecords": False,
        "hashRecords": records,
    }


def sandbox_hashes_known(values: list[str | list[str]]) -> int:
    """Sandbox SubmitFeedback: every hash must be a sandbox one; nothing is recorded."""
    known = {h.value for h in SANDBOX_BANK}
    for position, value in enumerate(values):
        if not isinstance(value, str) or value.strip().lower() not in known:
            raise UnknownHash(f"hashFeedbacks.{position}: no such hash in the sandbox bank; nothing was recorded.")
    return len(values)
