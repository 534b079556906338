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
from matching.video import VideoInput, video_input_validate
from ncii_site.errors import DomainError
from partners.models import Partner


class UnknownHash(DomainError, LookupError):
    code = "unknown_hash"
    status = 404


@dataclass(frozen=True)
class FeedbackIn:
    hash_value: str | list[str]
    value: str
    tags: list[str]


@dataclass(frozen=True)
class HashRecordIn:
    signal_type: str
    hash_value: str | list[str]
    feedback: list[FeedbackIn]


def signal_type_parse(raw: str) -> str:
    """``"VideoMD5"`` or the client's ``"StopNCIISignalType.VideoMD5"``."""
    name = raw.removeprefix("StopNCIISignalType.")
    try:
        return SignalType(name).value
    except ValueError:
        raise HashFormatError(f"Unknown signalType {raw!r}; use ImagePDQ, VideoMD5 or VideoPDQ.") from None


def _bank_hash_by_value(raw: str | list[str], position: int) -> BankHash:
    if isinstance(raw, list) or raw.lstrip().startswith("["):  # a VideoPDQ, by its frames
        try:
            key = video_input_validate(raw).key
        except HashFormatError as exc:
            raise HashFormatError(f"hashFeedbacks.{position}: {exc}") from None
        return _bank_hash_get(SignalType.VPDQ, key, position)
    value = raw.strip().lower()
    kind = signal_type_for_length(value)
    if kind is None:
        raise HashFormatError(f"hashFeedbacks.{position}: a hash is 64 (PDQ) or 32 (MD5) hex digits.")
    return _bank_hash_get(kind, hash_normalise(kind, value), position)


def _bank_hash_get(kind: str, value: str, position: int) -> BankHash:
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


class VideoNotOptedIn(DomainError):
    code = "video_pdq_not_enabled"
    status = 403


def _bank_value(record: HashRecordIn, position: int, partner: Partner) -> tuple[str, VideoInput | None]:
    if record.signal_type == SignalType.VPDQ and not partner.receives_video_pdq:
        raise VideoNotOptedIn(
            f"hashRecords.{position}: VideoPDQ is not enabled for your partnership; nothing was stored."
        )
    try:
        if record.signal_type == SignalType.VPDQ:
            video = video_input_validate(record.hash_value)
            return video.key, video
        value = hash_normalise(record.signal_type, record.hash_value)
        if record.signal_type == SignalType.PDQ:
            pdq_degenerate_check(value)
        return value, None
    except DegenerateHash as exc:
        raise DegenerateHash(f"hashRecords.{position}: {exc}", reason=exc.reason) from None
    except HashFormatError as exc:
        raise HashFormatError(f"hashRecords.{position}: {exc}") from None


@transaction.atomic(durable=True)
def exchange_hashes_submit(*, partner: Partner, records: list[HashRecordIn]) -> int:
    """Add partner-sourced hashes to the bank (an existing record keeps its source and status)
    and record the partner's feedback that came with each, PendingReview queueing review as
    in SubmitFeedback. The records are stamped modified again just before the commit: a long
    batch must not commit changes dated before the exchange's horizon has passed them."""
    normal = [(r, *_bank_value(r, i, partner)) for i, r in enumerate(records)]
    actor = Actor.partner(partner_id=partner.pk, name=partner.name)
    touched: list[int] = []
    for record, value, video in normal:
        bank_hash, created = bank_hash_upsert(
            signal_type=record.signal_type,
            value=value,
            quality=None,
            source=BankHash.Source.PARTNER,
            source_name=partner.name,
            video=video,
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
