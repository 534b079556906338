"""Writes of the StopNCII-compatible exchange: partners' feedback and partner-sourced hashes.
A batch is validated whole before anything is written, and written in one transaction."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.audit_events import BANK_HASH, HASH_SUBMITTED
from matching.degenerate import DegenerateHash, pdq_degenerate_check
from matching.intake import report_from_feedback
from matching.models import BankHash, HashFeedback
from matching.services import bank_hash_upsert, feedback_record
from matching.signal_types import HashFormatError, SignalType, hash_normalise, signal_type_for_length
from ncii_site.errors import DomainError
from partners.models import Partner


class UnknownHash(DomainError, LookupError):
    code = "unknown_hash"
    status = 404


@dataclass(frozen=True)
class FeedbackIn:
    hash_value: str
    value: str
    tags: list[str]


@dataclass(frozen=True)
class HashRecordIn:
    signal_type: str
    hash_value: str
    feedback: list[FeedbackIn]


def signal_type_parse(raw: str) -> str:
    """``"VideoMD5"`` or the client's ``"StopNCIISignalType.VideoMD5"``."""
    name = raw.removeprefix("StopNCIISignalType.")
    try:
        return SignalType(name).value
    except ValueError:
        raise HashFormatError(f"Unknown signalType {raw!r}; use ImagePDQ or VideoMD5.") from None


def _bank_hash_by_value(raw: str, position: int) -> BankHash:
    value = raw.strip().lower() if isinstance(raw, str) else ""
    kind = signal_type_for_length(value)
    if kind is None:
        raise HashFormatError(f"hashFeedbacks.{position}: a hash is 64 (PDQ) or 32 (MD5) hex digits.")
    value = hash_normalise(kind, value)
    bank_hash = BankHash.objects.filter(signal_type=kind, value=value).first()
    if bank_hash is None:
        raise UnknownHash(f"hashFeedbacks.{position}: no such hash in the bank; nothing was recorded.")
    return bank_hash


@transaction.atomic(durable=True)
def exchange_feedback_submit(*, partner: Partner, items: list[FeedbackIn]) -> int:
    """Record the partner's current feedback on each hash; PendingReview also queues review."""
    targets = [_bank_hash_by_value(item.hash_value, i) for i, item in enumerate(items)]
    actor = Actor.partner(partner_id=partner.pk, name=partner.name)
    for bank_hash, item in zip(targets, items, strict=True):
        _feedback_apply(bank_hash=bank_hash, partner=partner, item=item, actor=actor)
    return len(items)


def _feedback_apply(*, bank_hash: BankHash, partner: Partner, item: FeedbackIn, actor: Actor) -> None:
    feedback_record(bank_hash_id=bank_hash.pk, partner=partner, value=item.value, tags=item.tags, actor=actor)
    if item.value == HashFeedback.Value.PENDING_REVIEW:
        report_from_feedback(partner=partner, bank_hash=bank_hash)


def _bank_value(record: HashRecordIn, position: int) -> str:
    value = hash_normalise(record.signal_type, record.hash_value)
    if record.signal_type == SignalType.PDQ:
        try:
            pdq_degenerate_check(value)
        except DegenerateHash as exc:
            raise DegenerateHash(f"hashRecords.{position}: {exc}", reason=exc.reason) from None
    return value


@transaction.atomic(durable=True)
def exchange_hashes_submit(*, partner: Partner, records: list[HashRecordIn]) -> int:
    """Add partner-sourced hashes to the bank (an existing record keeps its source and status)
    and record the partner's feedback that came with each, PendingReview queueing review as
    in SubmitFeedback. The records are stamped modified again just before the commit: a long
    batch must not commit changes dated before the exchange's horizon has passed them."""
    normal = [(r, _bank_value(r, i)) for i, r in enumerate(records)]
    actor = Actor.partner(partner_id=partner.pk, name=partner.name)
    touched: list[int] = []
    for record, value in normal:
        bank_hash, created = bank_hash_upsert(
            signal_type=record.signal_type,
            value=value,
            quality=None,
            source=BankHash.Source.PARTNER,
            source_name=partner.name,
        )
        audit_record(
            actor=actor,
            action=HASH_SUBMITTED,
            object_type=BANK_HASH,
            object_id=bank_hash.pk,
            after={"signal_type": record.signal_type, "new": created},
        )
        for item in record.feedback:
            _feedback_apply(bank_hash=bank_hash, partner=partner, item=item, actor=actor)
        touched.append(bank_hash.pk)
    BankHash.objects.filter(pk__in=touched).update(modified_at=timezone.now())
    return len(records)
