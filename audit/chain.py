"""The digest that links one audit event to the next. Pure: no Django."""

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def event_digest(
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
    reason: str,
    before: Any,
    after: Any,
) -> str:
    payload = json.dumps(
        [
            prev_digest,
            seq,
            created_at.isoformat(timespec="microseconds"),
            actor_type,
            actor_user_id,
            actor_partner_id,
            actor_label,
            action,
            object_type,
            object_id,
            reason,
            before,
            after,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()
