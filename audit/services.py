from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import GENESIS, event_digest, reason_chained, reason_sha256
from audit.models import ActorType, AuditEvent
from audit.selectors import chain_key

# Arbitrary, fixed key for the PostgreSQL advisory lock that serialises chain appends.
_CHAIN_LOCK_KEY = 0x4E434949


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, a partner platform, the system or the public."""

    type: str
    label: str
    user_id: int | None = None
    partner_id: int | None = None

    @classmethod
    def user(cls, user: User) -> "Actor":
        return cls(type=ActorType.USER, label=user.get_username(), user_id=user.pk)

    @classmethod
    def partner(cls, *, partner_id: int, name: str) -> "Actor":
        return cls(type=ActorType.PARTNER, label=f"partner:{name}", partner_id=partner_id)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(type=ActorType.SYSTEM, label=label)

    @classmethod
    def public(cls) -> "Actor":
        return cls(type=ActorType.PUBLIC, label="public")


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions start IMMEDIATE (settings), so writers are already serialised.


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction. The chain lock is
    held until that transaction ends, so events commit in ``seq`` order."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction it records.")
    _lock_chain()
    last = AuditEvent.objects.order_by("-seq").values("seq", "digest").first()
    seq = last["seq"] + 1 if last else 1
    prev_digest = last["digest"] if last else GENESIS
    fields: dict[str, Any] = {
        "seq": seq,
        "created_at": timezone.now(),
        "actor_type": str(actor.type),
        "actor_user_id": actor.user_id,
        "actor_partner_id": actor.partner_id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "reason": reason,
        "before": before or {},
        "after": after or {},
    }
    sha256 = reason_sha256(reason)
    chained = fields | {"reason": reason_chained(reason=reason, sha256=sha256)}
    digest = event_digest(key=chain_key(), prev_digest=prev_digest, **chained)
    return AuditEvent.objects.create(prev_digest=prev_digest, digest=digest, reason_sha256=sha256, **fields)


def audit_record_atomic(**kwargs: Any) -> AuditEvent:
    with transaction.atomic():
        return audit_record(**kwargs)


RETENTION_ERASED = "retention.erased"


def audit_retention_batch(*, kind: str, object_type: str, ids: list[Any], cutoff: datetime, **more: Any) -> AuditEvent:
    """One retention batch, inside its transaction: which rows (ids only, never their content)
    lost what, and the cutoff they had passed."""
    return audit_record(
        actor=Actor.system("retention"),
        action=RETENTION_ERASED,
        object_type=object_type,
        object_id=f"batch:{kind}",
        after={"kind": kind, "count": len(ids), "ids": ids, "cutoff": cutoff.isoformat()} | more,
    )


def audit_reasons_erase(events: QuerySet[AuditEvent]) -> list[int]:
    """Blank the reason text of ``events`` whose chain covers only its digest (inside the
    caller's transaction); the facts and the digest stay. Returns the erased events' seqs."""
    due = events.exclude(reason="").exclude(reason_sha256="")
    seqs = sorted(due.values_list("seq", flat=True))
    AuditEvent.objects.filter(seq__in=seqs).update(reason="", reason_erased_at=timezone.now())
    return seqs
