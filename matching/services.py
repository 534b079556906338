import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import Actor, audit_record
from matching.audit_events import BANK_HASH, BANK_IMPORTED, HASH_FEEDBACK
from matching.bank_events import bank_hash_announce, reports_decided_announce
from matching.degenerate import pdq_degenerate_check
from matching.import_copy import bank_hashes_copy
from matching.importing import ImportRow
from matching.models import BankHash, HashFeedback, MatchReport
from matching.negative_bank import negative_covered, negative_exact, negative_refuse_covered
from matching.selectors import bank_matches
from matching.signal_types import SignalType, hash_normalise
from ncii_site.errors import DomainError
from partners.models import Partner

logger = logging.getLogger(__name__)


class QualityTooLow(DomainError, ValueError):
    code = "invalid_hash"
    status = 400


# --- the bank -----------------------------------------------------------------------------


def bank_hash_touch(bank_hash: BankHash) -> None:
    """Move the hash's modification time strictly forward (the caller holds the row lock)."""
    now = timezone.now()
    floor = bank_hash.modified_at + timedelta(microseconds=1) if bank_hash.modified_at else now
    bank_hash.modified_at = max(now, floor)


def bank_hash_case_ref_set(bank_hash: BankHash, *, reference: str, status: str) -> None:
    """Set one case's link status on a bank hash and recompute what partners see: the hash is
    Active while any case link is Active or another source (import, partner) contributed it,
    else Withdrawn; a hash on the negative bank stays Withdrawn. Its modification time moves
    forward; subscribed partners hear of a status change. The caller holds the row lock and saves."""
    bank_hash.case_refs = {**bank_hash.case_refs, reference: str(status)}
    _bank_hash_status_recompute(bank_hash)


def bank_hash_case_ref_drop(bank_hash: BankHash, *, reference: str) -> None:
    """Forget an erased case's reference on a bank hash (its link was already Withdrawn, so
    the status stays as it was). The caller holds the row lock and saves."""
    bank_hash.case_refs = {ref: status for ref, status in bank_hash.case_refs.items() if ref != reference}
    _bank_hash_status_recompute(bank_hash)


def _bank_hash_status_recompute(bank_hash: BankHash) -> None:
    before = bank_hash.status
    protected = BankHash.Status.ACTIVE in bank_hash.case_refs.values() or bank_hash.source != BankHash.Source.CASE
    protected = protected and not negative_exact(signal_type=bank_hash.signal_type, value=bank_hash.value)
    bank_hash.status = BankHash.Status.ACTIVE if protected else BankHash.Status.WITHDRAWN
    bank_hash_touch(bank_hash)
    if bank_hash.status != before:
        bank_hash_announce(bank_hash)


def bank_hash_upsert(
    *, signal_type: str, value: str, quality: int | None, source: str, source_name: str = ""
) -> tuple[BankHash, bool]:
    """The one bank record for a hash, created if new, locked for the caller's transaction.
    A withdrawn record is made active again. A hash the negative bank covers is refused."""
    negative_refuse_covered(signal_type=signal_type, value=value)
    defaults = {
        "quality": quality,
        "source": source,
        "source_name": source_name,
        "modified_at": timezone.now(),
        "cluster_id": _cluster_for(signal_type, value),
    }
    try:
        with transaction.atomic():
            created = BankHash.objects.create(signal_type=signal_type, value=value, **defaults)
        bank_hash_announce(created)
        return created, True
    except IntegrityError:
        pass  # another request created it first: use theirs
    bank_hash = BankHash.objects.select_for_update().get(signal_type=signal_type, value=value)
    if quality is not None and (bank_hash.quality is None or quality > bank_hash.quality):
        bank_hash.quality = quality
    return bank_hash, False


def _cluster_for(signal_type: str, value: str) -> int | None:
    """The cluster a new PDQ hash joins: that of the nearest active bank hash within
    NCII_BANK_CLUSTER_DISTANCE, if any."""
    if signal_type != SignalType.PDQ:
        return None
    near = bank_matches(signal_type=signal_type, value=value, radius=settings.NCII_BANK_CLUSTER_DISTANCE)
    return (near[0].bank_hash.cluster_id or near[0].bank_hash.pk) if near else None


def hash_input_validate(*, signal_type: str, value: Any, quality: Any) -> tuple[str, int | None]:
    """Normalised value and quality of a hash offered for the bank, or an error."""
    normal = hash_normalise(signal_type, value)
    if signal_type == SignalType.MD5:
        return normal, None
    if quality is None:
        raise QualityTooLow(gettext("An ImagePDQ hash needs its quality (0-100)."))
    if quality < settings.NCII_MIN_PDQ_QUALITY:
        raise QualityTooLow(
            gettext("Quality %(quality)s is below %(minimum)s: the image has too little detail to be matched reliably.")
            % {"quality": quality, "minimum": settings.NCII_MIN_PDQ_QUALITY}
        )
    pdq_degenerate_check(normal)
    return normal, quality


@transaction.atomic
def feedback_record(
    *, bank_hash_id: int, partner: Partner | None, value: str, tags: list[str], actor: Actor, reason: str = ""
) -> HashFeedback:
    bank_hash = BankHash.objects.select_for_update().get(pk=bank_hash_id)
    existing = HashFeedback.objects.filter(bank_hash=bank_hash, partner=partner).first()
    before = {"feedback": existing.value, "tags": existing.tags} if existing else {}
    now = timezone.now()
    if existing:
        existing.value, existing.tags, existing.updated_at = value, tags, now
        existing.save(update_fields=["value", "tags", "updated_at"])
        feedback = existing
    else:
        feedback = HashFeedback.objects.create(
            bank_hash=bank_hash, partner=partner, value=value, tags=tags, updated_at=now
        )
    bank_hash_touch(bank_hash)
    bank_hash.save(update_fields=["modified_at"])
    audit_record(
        actor=actor,
        action=HASH_FEEDBACK,
        object_type=BANK_HASH,
        object_id=bank_hash.pk,
        reason=reason,
        before=before,
        after={"feedback": value, "tags": tags, "source": partner.name if partner else "hub"},
    )
    return feedback


@transaction.atomic(durable=True)
def bank_import_batch(*, rows: list[ImportRow], source_name: str, actor: Actor) -> tuple[int, int]:
    """Add a batch of imported hashes as one transaction: all of it or none. Returns
    (added, duplicates); a hash already in the bank, or twice in the batch, is a duplicate. A
    hash the negative bank covers is left out (counted as ``benign`` in the audit event).
    Imports send no webhooks: partners see them in the feed."""
    benign = _negative_keys(sorted({(r.signal_type, r.value) for r in rows}))
    kept = [r for r in rows if (r.signal_type, r.value) not in benign]
    now = timezone.now()
    if connection.vendor == "postgresql":
        added = bank_hashes_copy(rows=kept, source_name=source_name, now=now)
    else:
        added = _bank_hashes_insert(rows=kept, source_name=source_name, now=now)
    audit_record(
        actor=actor,
        action=BANK_IMPORTED,
        object_type=BANK_HASH,
        object_id="batch",
        after={
            "source": source_name,
            "added": added,
            "duplicates": len(kept) - added,
            "benign": len(rows) - len(kept),
        },
    )
    return added, len(kept) - added


def _bank_hashes_insert(*, rows: list[ImportRow], source_name: str, now: datetime) -> int:
    unique = {(r.signal_type, r.value): r for r in rows}
    existing: set[tuple[str, str]] = set()
    for kind in {k for k, _ in unique}:
        values = [v for k, v in unique if k == kind]
        existing |= {
            (kind, v)
            for v in BankHash.objects.filter(signal_type=kind, value__in=values).values_list("value", flat=True)
        }
    new = [
        BankHash(
            signal_type=r.signal_type,
            value=r.value,
            quality=r.quality,
            source=BankHash.Source.IMPORT,
            source_name=source_name,
            modified_at=now,
        )
        for key, r in unique.items()
        if key not in existing
    ]
    BankHash.objects.bulk_create(new)
    return len(new)


def _negative_keys(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    benign: set[tuple[str, str]] = set()
    for kind in {k for k, _ in keys}:
        values = [v for k, v in keys if k == kind]
        benign |= {
            (kind, v) for v, hit in zip(values, negative_covered(signal_type=kind, values=values), strict=True) if hit
        }
    return benign


# --- match reports --------------------------------------------------------------------------


def report_processed(report: MatchReport, *, outcome: str) -> None:
    """Triage has put the report into a review item whose state gives ``outcome`` (the caller
    holds the report's row lock and saves nothing else on it)."""
    report.status, report.processed_at = MatchReport.Status.PROCESSED, timezone.now()
    report.outcome, report.attempts = outcome, report.attempts + 1
    report.save()


def reports_answer(
    *, report_ids: list[int], outcome: str, decided_at: datetime | None, note: str, note_partner_id: int | None
) -> None:
    """A decision's answer on its reports: every report gets the outcome; a note shared with
    partners goes on the reports of ``note_partner_id`` (or on all of them when None), and
    any earlier note is cleared."""
    reports = MatchReport.objects.filter(pk__in=report_ids)
    reports.update(outcome=outcome, decided_at=decided_at, decision_note="")
    if note:
        shared = reports.filter(partner_id=note_partner_id) if note_partner_id else reports
        shared.update(decision_note=note)
    if outcome in (MatchReport.Outcome.CONFIRMED, MatchReport.Outcome.DISMISSED):
        reports_decided_announce(reports=reports.select_related("bank_hash"), outcome=outcome, decided_at=decided_at)
