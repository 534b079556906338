import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.degenerate import pdq_degenerate_check
from matching.importing import ImportRow
from matching.keys import key_digest, key_generate
from matching.models import BankHash, HashFeedback, Partner, PartnerKey
from matching.selectors import bank_matches
from matching.signals import SignalType, hash_normalise

logger = logging.getLogger(__name__)

STOPNCII_KEY_KINDS = [
    PartnerKey.Kind.SUBSCRIPTION,
    PartnerKey.Kind.FETCH,
    PartnerKey.Kind.FEEDBACK,
    PartnerKey.Kind.SUBMIT,
]


class QualityTooLow(ValueError):
    pass


class ReasonRequired(ValueError):
    pass


class KeyRefused(Exception):
    """The key cannot change that way (already revoked, expired or rotated): nothing was written."""


class StatusRefused(Exception):
    """Not a transition the partner's status allows (say, it is already suspended): nothing was written."""


@dataclass(frozen=True)
class IssuedKeys:
    """Plaintext keys, returned once at issue; only their digests are stored."""

    subscription_key: str
    function_keys: dict[str, str]
    api_key: str


@dataclass(frozen=True)
class NewKey:
    """A key just issued, with its plaintext: shown once, never stored."""

    key: PartnerKey
    plaintext: str


PARTNER = "matching.partner"


# --- partners and keys ------------------------------------------------------------------


def _key_create(*, partner_id: int, kind: str) -> NewKey:
    if kind not in PartnerKey.Kind.values:
        raise KeyRefused(f"Unknown key kind {kind!r}.")
    plaintext = key_generate()
    key = PartnerKey.objects.create(
        partner_id=partner_id, kind=kind, prefix=plaintext[:12], digest=key_digest(plaintext)
    )
    return NewKey(key, plaintext)


def _key_facts(key: PartnerKey) -> dict[str, Any]:
    """What the audit trail says about a key: never its plaintext or digest."""
    return {"kind": key.kind, "key_id": key.pk, "prefix": key.prefix}


@transaction.atomic
def key_issue(*, partner: Partner, kind: str, actor: Actor) -> str:
    new = _key_create(partner_id=partner.pk, kind=kind)
    audit_record(
        actor=actor, action="partner.key_issued", object_type=PARTNER, object_id=partner.pk, after=_key_facts(new.key)
    )
    return new.plaintext


@transaction.atomic(durable=True)
def key_rotate(*, key_id: int, actor: Actor, overlap_seconds: int) -> NewKey:
    """A new key of the same kind; the old one keeps working for ``overlap_seconds`` more
    (0: it stops now), so the partner can deploy the new key without downtime."""
    if overlap_seconds < 0:
        raise ValueError("overlap_seconds must not be negative.")
    old = PartnerKey.objects.select_for_update().get(pk=key_id)
    now = timezone.now()
    if not old.is_usable(now) or old.expires_at is not None:
        raise KeyRefused("This key is already revoked, expired or rotated out; nothing was changed.")
    old.expires_at = now + timedelta(seconds=overlap_seconds)
    old.save(update_fields=["expires_at"])
    new = _key_create(partner_id=old.partner_id, kind=old.kind)
    audit_record(
        actor=actor,
        action="partner.key_rotated",
        object_type=PARTNER,
        object_id=old.partner_id,
        before=_key_facts(old),
        after=_key_facts(new.key) | {"old_expires_at": old.expires_at.isoformat(), "overlap_seconds": overlap_seconds},
    )
    return new


@transaction.atomic(durable=True)
def key_revoke(*, key_id: int, actor: Actor, reason: str) -> PartnerKey:
    """The key stops working on the next request."""
    reason = _reason_require(reason)
    key = PartnerKey.objects.select_for_update().get(pk=key_id)
    if key.revoked_at is not None:
        raise KeyRefused("This key is already revoked; nothing was changed.")
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="partner.key_revoked",
        object_type=PARTNER,
        object_id=key.partner_id,
        reason=reason,
        before=_key_facts(key),
        after={"revoked_at": key.revoked_at.isoformat()},
    )
    return key


@transaction.atomic
def partner_create(*, name: str, display_name: str = "", actor: Actor) -> tuple[Partner, IssuedKeys]:
    partner = Partner.objects.create(name=name, display_name=display_name or name)
    audit_record(
        actor=actor,
        action="partner.created",
        object_type=PARTNER,
        object_id=partner.pk,
        after={"name": partner.name, "status": partner.status},
    )
    keys = {kind: key_issue(partner=partner, kind=kind, actor=actor) for kind in STOPNCII_KEY_KINDS}
    issued = IssuedKeys(
        subscription_key=keys.pop(PartnerKey.Kind.SUBSCRIPTION),
        function_keys={kind.removeprefix("fn:"): key for kind, key in keys.items()},
        api_key=key_issue(partner=partner, kind=PartnerKey.Kind.API, actor=actor),
    )
    return partner, issued


@transaction.atomic(durable=True)
def partner_set_status(*, partner_id: int, status: str, actor: Actor, reason: str) -> Partner:
    """Suspend or reinstate. The partner's keys stop (or start) working on its next request:
    every request loads the partner's status with its key."""
    reason = _reason_require(reason)
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    before = partner.status
    if status not in Partner.ALLOWED_TRANSITIONS[Partner.Status(before)]:
        raise StatusRefused(f"A {before} partner cannot become {status}; nothing was changed.")
    partner.status = status
    partner.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="partner.status_changed",
        object_type=PARTNER,
        object_id=partner.pk,
        reason=reason,
        before={"status": before},
        after={"status": status},
    )
    return partner


def _reason_require(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired("Give a reason.")
    return reason


# --- the bank -----------------------------------------------------------------------------


def bank_hash_touch(bank_hash: BankHash) -> None:
    """Move the hash's modification time strictly forward (the caller holds the row lock)."""
    now = timezone.now()
    floor = bank_hash.modified_at + timedelta(microseconds=1) if bank_hash.modified_at else now
    bank_hash.modified_at = max(now, floor)


def bank_hash_upsert(
    *, signal_type: str, value: str, quality: int | None, source: str, source_name: str = ""
) -> tuple[BankHash, bool]:
    """The one bank record for a hash, created if new, locked for the caller's transaction.
    A withdrawn record is made active again."""
    defaults = {
        "quality": quality,
        "source": source,
        "source_name": source_name,
        "modified_at": timezone.now(),
        "cluster_id": _cluster_for(signal_type, value),
    }
    try:
        with transaction.atomic():
            return BankHash.objects.create(signal_type=signal_type, value=value, **defaults), True
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
        raise QualityTooLow("An ImagePDQ hash needs its quality (0-100).")
    if quality < settings.NCII_MIN_PDQ_QUALITY:
        raise QualityTooLow(
            f"Quality {quality} is below {settings.NCII_MIN_PDQ_QUALITY}: the image has too little "
            "detail to be matched reliably."
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
        action="hash.feedback",
        object_type="matching.bankhash",
        object_id=bank_hash.pk,
        reason=reason,
        before=before,
        after={"feedback": value, "tags": tags, "source": partner.name if partner else "hub"},
    )
    return feedback


@transaction.atomic(durable=True)
def bank_import_batch(*, rows: list[ImportRow], source_name: str, actor: Actor) -> tuple[int, int]:
    """Add a batch of imported hashes as one transaction: all of it or none. Returns
    (added, duplicates); a hash already in the bank, or twice in the batch, is a duplicate."""
    unique = {(r.signal_type, r.value): r for r in rows}
    existing: set[tuple[str, str]] = set()
    for kind in {k for k, _ in unique}:
        values = [v for k, v in unique if k == kind]
        existing |= {
            (kind, v)
            for v in BankHash.objects.filter(signal_type=kind, value__in=values).values_list("value", flat=True)
        }
    now = timezone.now()
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
    audit_record(
        actor=actor,
        action="bank.imported",
        object_type="matching.bankhash",
        object_id="batch",
        after={"source": source_name, "added": len(new), "duplicates": len(rows) - len(new)},
    )
    return len(new), len(rows) - len(new)
