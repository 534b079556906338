"""Signed checkpoints of the audit chain's head, kept outside the database. Pure: no Django.

Like Certificate Transparency's signed tree heads: every few minutes the hub signs
``(seq, digest, time)`` of the newest event with an Ed25519 key and appends it to a sink the
database's owner cannot rewrite. A later verification compares the chain with every checkpoint:
a checkpoint past the chain's end shows a truncated tail; one whose digest differs shows a
history rewritten and re-chained (even by someone holding the chain's HMAC key)."""

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_CONTEXT = "ncii-audit-checkpoint:v1"


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    digest: str
    at: datetime
    key_id: str
    signature: str  # base64


@dataclass(frozen=True)
class Finding:
    kind: str  # truncated | rechained | rewound | forged | unreadable
    message: str


def private_key_load(b64_seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(b64_seed, validate=True))


def public_key_load(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))


def public_key_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def _message(seq: int, digest: str, at: datetime) -> bytes:
    return f"{_CONTEXT}:{seq}:{digest}:{at.isoformat(timespec='microseconds')}".encode()


def checkpoint_sign(key: Ed25519PrivateKey, *, seq: int, digest: str, at: datetime) -> Checkpoint:
    signature = base64.b64encode(key.sign(_message(seq, digest, at))).decode()
    return Checkpoint(seq, digest, at, key_id(key.public_key()), signature)


def signature_valid(checkpoint: Checkpoint, key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(checkpoint.signature), _message(checkpoint.seq, checkpoint.digest, checkpoint.at))
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_line(checkpoint: Checkpoint) -> str:
    at = checkpoint.at.isoformat(timespec="microseconds")
    fields = {"seq": checkpoint.seq, "digest": checkpoint.digest, "at": at}
    return json.dumps({**fields, "keyId": checkpoint.key_id, "signature": checkpoint.signature}, sort_keys=True)


def checkpoint_parse(line: str) -> Checkpoint:
    """One line of the sink; ValueError if it is not a checkpoint."""
    try:
        data = json.loads(line)
        seq, digest, at = data["seq"], data["digest"], datetime.fromisoformat(data["at"])
        key, signature = data["keyId"], data["signature"]
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a checkpoint: {exc}") from None
    if type(seq) is not int or not all(isinstance(v, str) for v in (digest, key, signature)) or at.tzinfo is None:
        raise ValueError("not a checkpoint: a field has the wrong type")
    return Checkpoint(seq, digest, at, key, signature)


def sink_append(path: str, line: str) -> None:
    """Append one line and flush it to disk (O_APPEND: concurrent writers never interleave)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def sink_read(path: str) -> list[tuple[int, str]]:
    """The sink's non-blank lines with their line numbers."""
    with open(path, encoding="utf-8") as sink:
        return [(n, line.strip()) for n, line in enumerate(sink, 1) if line.strip()]


Parsed = list[tuple[int, Checkpoint | str]]  # line number, the checkpoint or why it is not one


def sink_parse(lines: Iterable[tuple[int, str]]) -> Parsed:
    parsed: Parsed = []
    for number, line in lines:
        try:
            parsed.append((number, checkpoint_parse(line)))
        except ValueError as exc:
            parsed.append((number, str(exc)))
    return parsed


def checkpoints_compare(
    parsed: Parsed, *, key: Ed25519PublicKey, head_seq: int, digest_at: Mapping[int, str]
) -> tuple[int, list[Finding]]:
    """Every checkpoint against the chain as it is now (``digest_at``: seq -> digest of the
    events present, 0 -> genesis); return how many agree and what each other one shows."""
    agree, highest, findings = 0, (0, 0), []
    for number, checkpoint in parsed:
        finding = _finding(number, checkpoint, key, head_seq, digest_at, highest)
        if finding:
            findings.append(finding)
            continue
        assert isinstance(checkpoint, Checkpoint)
        agree, highest = agree + 1, max(highest, (checkpoint.seq, number))
    return agree, findings


def _finding(
    number: int,
    checkpoint: Checkpoint | str,
    key: Ed25519PublicKey,
    head_seq: int,
    digest_at: Mapping[int, str],
    highest: tuple[int, int],
) -> Finding | None:
    if isinstance(checkpoint, str):
        return Finding("unreadable", f"line {number}: {checkpoint}")
    if checkpoint.key_id != key_id(key) or not signature_valid(checkpoint, key):
        return Finding("forged", f"line {number}: its signature does not verify: not a checkpoint the hub wrote")
    seq, at = checkpoint.seq, checkpoint.at.isoformat(timespec="seconds")
    if seq > head_seq:
        deleted = f"#{head_seq + 1}" if seq == head_seq + 1 else f"#{head_seq + 1}–#{seq}"
        return Finding(
            "truncated",
            f"line {number}: signed at {at} with the chain at #{seq}, but it now ends at "
            f"#{head_seq}: a truncated tail (events {deleted} deleted)",
        )
    if seq not in digest_at:
        return Finding("deleted", f"line {number}: event #{seq}, signed at {at}, is missing (a deleted range)")
    if digest_at[seq] != checkpoint.digest:
        return Finding(
            "rechained",
            f"line {number}: event #{seq} no longer has the digest signed at {at}: "
            "a re-chained history (events up to it were rewritten and their digests recomputed)",
        )
    if seq < highest[0]:
        return Finding(
            "rewound",
            f"line {number}: signed at {at} with the chain at #{seq}, after line {highest[1]} "
            f"had seen #{highest[0]}: the chain was cut back in between and grew again",
        )
    return None
