"""Webhook signatures: HMAC-SHA256 over ``"{timestamp}." + body``. Pure: no Django, so a
partner can copy ``signature_verify`` as its verification recipe.

Headers of every delivery:
  X-NCII-Event: hash.withdrawn             X-NCII-Delivery: <uuid, the same on a retry>
  X-NCII-Timestamp: <unix seconds>         X-NCII-Signature: <key id>=<hex>[, <key id>=<hex>]
During a secret rotation the hub signs with the old and the new secret (one entry each)."""

import hashlib
import hmac
import time


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secrets: list[tuple[str, str]], timestamp: int, body: bytes) -> str:
    """``secrets``: (key id, secret) pairs, newest first."""
    return ", ".join(
        f"{key_id}={signature_compute(secret=secret, timestamp=timestamp, body=body)}" for key_id, secret in secrets
    )


def signature_verify(
    *, header: str, timestamp: str, body: bytes, key_id: str, secret: str, window: int = 300, now: float | None = None
) -> bool:
    """The receiver's check: the timestamp is recent (no replays older than ``window``
    seconds) and an entry for our key id carries the HMAC of exactly these bytes."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > window:
        return False
    expected = signature_compute(secret=secret, timestamp=int(timestamp), body=body)
    for entry in header.split(","):
        kid, _, value = entry.strip().partition("=")
        if kid == key_id and hmac.compare_digest(value, expected):
            return True
    return False
