"""The digest that links one audit event to the next. Pure: no Django.

Each digest is an HMAC-SHA256, keyed with ``NCII_AUDIT_KEY`` (kept out of the database), of the
event's fields and its predecessor's digest: whoever can write the table but lacks the key
cannot recompute the chain after an edit. A reason (free text that may hold personal data) is
covered by its SHA-256, ``{"sha256": hex}`` (``reason_chained``), so its text can be erased
and the chain still verifies; events older than that cover the text itself.
``legacy_event_digest`` is the unkeyed SHA-256 of the chain's first version, kept only so the
re-keying migration can check the old chain."""

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_payload(
    *,
    prev_digest: str,
    seq: int,
    created_at: datetime,
    actor_type: str,
    actor_user_id: int | None,
    actor_partner_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str | dict[str, str],
    before: Any,
    after: Any,
) -> bytes:
    fields = [prev_digest, seq, created_at.isoformat(timespec="microseconds"), actor_type, actor_user_id]
    fields += [actor_partner_id, actor_label, action, object_type, object_id, reason, before, after]
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return text.encode()


def event_digest(*, key: bytes, **fields: Any) -> str:
    """The keyed digest of one event (``fields`` as for ``event_payload``)."""
    if not key:
        raise ValueError("the audit chain needs a key")
    return hmac.new(key, event_payload(**fields), hashlib.sha256).hexdigest()


def legacy_event_digest(**fields: Any) -> str:
    """The unkeyed digest events had before the chain was keyed."""
    return hashlib.sha256(event_payload(**fields)).hexdigest()


def reason_sha256(reason: str) -> str:
    """What the chain keeps of a reason: its SHA-256 (empty for no reason)."""
    return hashlib.sha256(reason.encode()).hexdigest() if reason else ""


def reason_chained(*, reason: str, sha256: str) -> str | dict[str, str]:
    """The reason as the chain covers it: its digest where one was recorded, else (events from
    before digests, and events without a reason) the text."""
    return {"sha256": sha256} if sha256 else reason
