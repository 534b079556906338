from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from audit.chain import GENESIS, event_digest, reason_chained, reason_sha256
from audit.models import AuditEvent


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def audit_list_for(*, object_type: str, object_id: object) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")


def chain_key() -> bytes:
    """The chain's HMAC key, from the environment (never stored in the database)."""
    return settings.NCII_AUDIT_KEY.encode()


def _recompute(event: AuditEvent, prev_digest: str) -> str:
    return event_digest(
        key=chain_key(),
        prev_digest=prev_digest,
        seq=event.seq,
        created_at=event.created_at,
        actor_type=event.actor_type,
        actor_user_id=event.actor_user_id,
        actor_partner_id=event.actor_partner_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        reason=reason_chained(reason=event.reason, sha256=event.reason_sha256),
        before=event.before,
        after=event.after,
    )


def audit_chain_verify(*, batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many events are intact and the first break."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for event in _iterate(batch_size):
        if event.seq != expected_seq:
            return checked, ChainBreak(expected_seq, _missing(expected_seq, event.seq - 1))
        if event.prev_digest != expected_prev:
            return checked, ChainBreak(event.seq, "does not link to its predecessor")
        if _recompute(event, expected_prev) != event.digest or not _reason_intact(event):
            return checked, ChainBreak(event.seq, "content does not match its digest (edited)")
        expected_prev, expected_seq, checked = event.digest, event.seq + 1, checked + 1
    return checked, None


def _reason_intact(event: AuditEvent) -> bool:
    """A reason covered by its digest is either its text or erased (blank), nothing else."""
    return not event.reason_sha256 or not event.reason or reason_sha256(event.reason) == event.reason_sha256


def _missing(first: int, last: int) -> str:
    if first == last:
        return f"event #{first} is missing (deleted)"
    return f"events #{first}–#{last} are missing (a deleted range)"


def audit_head() -> tuple[int, str]:
    """The newest event's sequence number and digest (0 and the genesis digest when empty)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "digest").first()
    return last if last else (0, GENESIS)


def _iterate(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
