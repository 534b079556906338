"""What the hardening of issue 10 (sections 3 and 6) costs, in CPU time per call, measured with
``time.process_time`` over repeated runs (best of five), next to what it replaced.

    .venv/bin/python -m benchmarks.hostile_input_bench

- JSON bodies: the strict parser (ncii_site.json_parser) against DRF's JSONParser on the bodies
  the API takes (a case, a 1,000-hash lookup, a 1,000-record SubmitHashes) and on hostile ones
  (100,000-deep nesting: DRF raised RecursionError, a 500; a 1 MB string; 5,000-digit numbers).
- The audit chain: a keyed HMAC-SHA256 digest against the old plain SHA-256, per event; signing
  and verifying one Ed25519 checkpoint; comparing 10,000 checkpoints with a chain."""

import io
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")
import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from rest_framework.parsers import JSONParser  # noqa: E402

from audit.chain import event_digest, legacy_event_digest  # noqa: E402
from audit.checkpoints import checkpoint_sign, checkpoints_compare, signature_valid  # noqa: E402
from ncii_site.json_parser import StrictJSONParser  # noqa: E402


def cpu(run: Callable[[], Any], repeat: int) -> float:
    """Best of five: CPU seconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(repeat):
            run()
        best = min(best, (time.process_time() - start) / repeat)
    return best


def parse(parser: Any, body: bytes) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return parser.parse(io.BytesIO(body), "application/json", {})
        except Exception as exc:  # noqa: BLE001 - a refusal is a result here
            return type(exc).__name__

    return run


def hexes(n: int, width: int = 64) -> list[str]:
    return [secrets.token_hex(width // 2) for _ in range(n)]


BODIES = {
    "case, 3 hashes": {"hashes": [{"signalType": "ImagePDQ", "hashValue": h, "quality": 90} for h in hexes(3)]},
    "lookup, 1,000 hashes": {"signalType": "ImagePDQ", "hashes": hexes(1000)},
    "SubmitHashes, 1,000 records": {
        "count": 1000,
        "hashRecords": [{"signalType": "VideoMD5", "hashValue": h, "CSPFeedbacks": []} for h in hexes(1000, 32)],
    },
    "a 1 MB string": {"contentId": "x" * 1_000_000},
}
HOSTILE = {"100,000-deep nesting": b"[" * 100_000, "5,000-digit number": b"[" + b"9" * 5000 + b"]"}


def json_figures() -> None:
    print("JSON parsing, CPU per body (best of 5)      DRF JSONParser    strict parser   ratio")
    cases = {name: json.dumps(body).encode() for name, body in BODIES.items()} | HOSTILE
    for name, body in cases.items():
        repeat = 3 if len(body) > 100_000 else 50
        old, new = cpu(parse(JSONParser(), body), repeat), cpu(parse(StrictJSONParser(), body), repeat)
        outcome = parse(StrictJSONParser(), body)()
        outcome = outcome if isinstance(outcome, str) else "parsed"
        print(f"  {name:<32} {old * 1e3:>10.3f} ms {new * 1e3:>13.3f} ms {new / old:>7.2f}x   ({outcome})")


def audit_figures() -> None:
    fields = {
        "prev_digest": "0" * 64, "seq": 123_456, "created_at": datetime.now(UTC), "actor_type": "user",
        "actor_user_id": 7, "actor_partner_id": None, "actor_label": "mod", "action": "item.confirm",
        "object_type": "moderation.reviewitem", "object_id": "991", "reason": "same image",
        "before": {"state": "pending"}, "after": {"state": "confirmed", "reason_code": "matches_bank"},
    }  # fmt: skip
    old = cpu(lambda: legacy_event_digest(**fields), 20_000)
    new = cpu(lambda: event_digest(key=b"k" * 48, **fields), 20_000)
    print("\nAudit chain, CPU per event")
    print(f"  digest: SHA-256 {old * 1e6:.1f} us, HMAC-SHA256 {new * 1e6:.1f} us ({new / old:.2f}x)")
    key = Ed25519PrivateKey.generate()
    at = datetime.now(UTC)
    sign = cpu(lambda: checkpoint_sign(key, seq=1, digest="a" * 64, at=at), 2000)
    checkpoint = checkpoint_sign(key, seq=1, digest="a" * 64, at=at)
    check = cpu(lambda: signature_valid(checkpoint, key.public_key()), 2000)
    print(f"  checkpoint: sign {sign * 1e6:.0f} us, verify {check * 1e6:.0f} us")
    digests = {seq: secrets.token_hex(32) for seq in range(0, 10_001)}
    parsed = [(n, checkpoint_sign(key, seq=n, digest=digests[n], at=at)) for n in range(1, 10_001)]
    compare = cpu(lambda: checkpoints_compare(parsed, key=key.public_key(), head_seq=10_000, digest_at=digests), 1)
    print(f"  10,000 checkpoints compared with the chain: {compare:.2f} s CPU")


def main() -> int:
    json_figures()
    audit_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
