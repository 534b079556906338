"""Checkpoints of the audit chain's head: taken on a beat, appended to a sink outside the
database, and compared with the chain by ``verify_audit --checkpoints``."""

import logging
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from audit.chain import GENESIS
from audit.checkpoints import (
    Checkpoint,
    Finding,
    checkpoint_line,
    checkpoint_sign,
    checkpoints_compare,
    private_key_load,
    public_key_load,
    sink_append,
    sink_parse,
    sink_read,
)
from audit.models import AuditEvent
from audit.selectors import audit_head

logger = logging.getLogger("audit.checkpoint")
_BATCH = 5000


def signing_key() -> Ed25519PrivateKey:
    return private_key_load(settings.NCII_AUDIT_SIGNING_KEY)


def verifying_key(public_key_b64: str = "") -> Ed25519PublicKey:
    configured = public_key_b64 or settings.NCII_AUDIT_CHECKPOINT_PUBLIC_KEY
    return public_key_load(configured) if configured else signing_key().public_key()


def audit_checkpoint_take(*, now: datetime | None = None) -> Checkpoint:
    """Sign the chain's head and write it to the log and the checkpoint file (if set)."""
    seq, digest = audit_head()
    checkpoint = checkpoint_sign(signing_key(), seq=seq, digest=digest, at=now or timezone.now())
    line = checkpoint_line(checkpoint)
    logger.info("audit checkpoint %s", line)
    if settings.NCII_AUDIT_CHECKPOINT_PATH:
        sink_append(settings.NCII_AUDIT_CHECKPOINT_PATH, line)
    return checkpoint


def audit_checkpoints_verify(*, path: str, key: Ed25519PublicKey) -> tuple[int, list[Finding]]:
    """Compare every checkpoint in ``path`` with the chain: how many agree, and the findings."""
    parsed = sink_parse(sink_read(path))
    seqs = sorted({c.seq for _, c in parsed if isinstance(c, Checkpoint)})
    digest_at = {0: GENESIS}
    for start in range(0, len(seqs), _BATCH):
        rows = AuditEvent.objects.filter(seq__in=seqs[start : start + _BATCH]).values_list("seq", "digest")
        digest_at.update(rows)
    return checkpoints_compare(parsed, key=key, head_seq=audit_head()[0], digest_at=digest_at)
