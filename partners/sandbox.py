"""The sandbox bank: a few documented test hashes that sandbox keys see instead of the real
bank. The pictures and the file they are the hashes of ship in ``docs/sandbox/``; a test
checks they still hash to these values. Nothing here is ever written to the real bank.

The rule that decides a sandbox report (at once, with a ``report.decided`` webhook): a
``contentId`` that starts with ``dismiss`` is dismissed, any other is confirmed."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class SandboxHash:
    public_id: uuid.UUID
    signal_type: str
    value: str
    status: str  # Active or Withdrawn, as in the real feed
    quarantined: bool
    hub_verdict: str | None
    file: str  # under docs/sandbox/


SANDBOX_MODIFIED = datetime(2026, 1, 1, tzinfo=UTC)
SANDBOX_BANK: tuple[SandboxHash, ...] = (
    SandboxHash(
        uuid.UUID("5a4db0c5-0000-4000-8000-000000000001"),
        "ImagePDQ",
        "33eceb096b58c695ef68ca5bdb78186a6b5a79f42685e7989485a5984c32264d",
        "Active",
        False,
        "Blocked",
        "sandbox-picture-1.png",
    ),
    SandboxHash(
        uuid.UUID("5a4db0c5-0000-4000-8000-000000000002"),
        "ImagePDQ",
        "9b0fbc310be506b3d8e3a70700797781e5f680132a87e6ecc83be0625bfc1f95",
        "Active",
        True,
        None,
        "sandbox-picture-2.png",
    ),
    SandboxHash(
        uuid.UUID("5a4db0c5-0000-4000-8000-000000000003"),
        "ImagePDQ",
        "6f091b78d0a5f9e206c73e9801b56f0cd967b22707dc60cbfcd201277f70827d",
        "Withdrawn",
        False,
        None,
        "sandbox-picture-3.png",
    ),
    SandboxHash(
        uuid.UUID("5a4db0c5-0000-4000-8000-000000000004"),
        "VideoMD5",
        "3ab4ad93828f6fb8f5a31a34436228f5",
        "Active",
        False,
        None,
        "sandbox-video.bin",
    ),
)


def sandbox_outcome(content_id: str) -> str:
    return "dismissed" if content_id.lower().startswith("dismiss") else "confirmed"
