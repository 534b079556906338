"""Partners and their keys: creation, issue, rotation, revocation, suspension. Only key
digests are stored; a plaintext key is returned once, at issue."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from ncii_site.errors import DomainError, ReasonRequired
from partners.audit_events import KEY_ISSUED, KEY_REVOKED, KEY_ROTATED, PARTNER, PARTNER_CREATED, PARTNER_STATUS_CHANGED
from partners.keys import key_digest, key_generate
from partners.models import Partner, PartnerKey

STOPNCII_KEY_KINDS = [
    PartnerKey.Kind.SUBSCRIPTION,
    PartnerKey.Kind.FETCH,
    PartnerKey.Kind.FEEDBACK,
    PartnerKey.Kind.SUBMIT,
]


class KeyRefused(DomainError):
    """The key cannot change that way (already revoked, expired or rotated): nothing was written."""

    code = "key_refused"


class StatusRefused(DomainError):
    """Not a transition the partner's status allows (say, it is already suspended): nothing was written."""

    code = "status_refused"


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


def _key_create(*, partner_id: int, kind: str, sandbox: bool = False) -> NewKey:
    if kind not in PartnerKey.Kind.values:
        raise KeyRefused(f"Unknown key kind {kind!r}.")
    plaintext = key_generate()
    key = PartnerKey.objects.create(
        partner_id=partner_id, kind=kind, prefix=plaintext[:12], digest=key_digest(plaintext), sandbox=sandbox
    )
    return NewKey(key, plaintext)


def _key_facts(key: PartnerKey) -> dict[str, Any]:
    """What the audit trail says about a key: never its plaintext or digest."""
    return {"kind": key.kind, "key_id": key.pk, "prefix": key.prefix} | ({"sandbox": True} if key.sandbox else {})


@transaction.atomic
def key_issue(*, partner: Partner, kind: str, actor: Actor, sandbox: bool = False) -> str:
    new = _key_create(partner_id=partner.pk, kind=kind, sandbox=sandbox)
    audit_record(actor=actor, action=KEY_ISSUED, object_type=PARTNER, object_id=partner.pk, after=_key_facts(new.key))
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
    new = _key_create(partner_id=old.partner_id, kind=old.kind, sandbox=old.sandbox)
    audit_record(
        actor=actor,
        action=KEY_ROTATED,
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
        action=KEY_REVOKED,
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
        action=PARTNER_CREATED,
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


@transaction.atomic
def sandbox_keys_issue(*, partner: Partner, actor: Actor) -> IssuedKeys:
    """A full set of sandbox keys: the same APIs, answered from the sandbox bank only."""
    keys = {kind: key_issue(partner=partner, kind=kind, actor=actor, sandbox=True) for kind in STOPNCII_KEY_KINDS}
    return IssuedKeys(
        subscription_key=keys.pop(PartnerKey.Kind.SUBSCRIPTION),
        function_keys={kind.removeprefix("fn:"): key for kind, key in keys.items()},
        api_key=key_issue(partner=partner, kind=PartnerKey.Kind.API, actor=actor, sandbox=True),
    )


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
        action=PARTNER_STATUS_CHANGED,
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
