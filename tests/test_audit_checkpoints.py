"""The keyed chain and its signed checkpoints (issue 10, section 6). Each test performs an attack
by someone who can write the audit table (triggers off, as its owner could) and shows that
``verify_audit`` names it: an edit re-chained without the key, a truncated tail, a deleted range,
a history re-chained with the key, a forged checkpoint."""

import json
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from audit.anchoring import audit_checkpoint_take, verifying_key
from audit.chain import GENESIS, event_digest, legacy_event_digest
from audit.checkpoints import checkpoint_line, checkpoint_sign, public_key_b64, signature_valid
from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor, audit_record
from audit.tasks import audit_checkpoint_task
from tests.test_audit import _tamper

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.NCII_AUDIT_CHECKPOINT_PATH = str(tmp_path / "checkpoints" / "audit.jsonl")
    return settings.NCII_AUDIT_CHECKPOINT_PATH


def append(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=Actor.system(), action="test.event", object_type="t", object_id=i, after={"n": i})


def verify(sink: str, *extra: str) -> tuple[str, str]:
    """verify_audit --checkpoints: (stdout, the error or "")."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", "--checkpoints", sink, *extra, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), f"{exc}\n{err.getvalue()}"
    return out.getvalue(), ""


def rechain(key: bytes | None, *, from_seq: int = 1) -> None:
    """Recompute every digest from ``from_seq`` on, as an attacker covering an edit would:
    with the chain's key, or (None) with the unkeyed SHA-256 anyone can compute."""
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        if event.seq >= from_seq:
            fields = {f: getattr(event, f) for f in ("seq", "created_at", "actor_type", "actor_user_id")}
            fields |= {f: getattr(event, f) for f in ("actor_partner_id", "actor_label", "action", "object_type")}
            fields |= {f: getattr(event, f) for f in ("object_id", "reason", "before", "after")}
            digest = (
                event_digest(key=key, prev_digest=prev, **fields)
                if key
                else legacy_event_digest(prev_digest=prev, **fields)
            )
            _tamper("UPDATE audit_auditevent SET prev_digest = %s, digest = %s WHERE id = %s", [prev, digest, event.pk])
            prev = digest
        else:
            prev = event.digest


def renumber_from(seq: int, by: int) -> None:
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        _tamper("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [event.seq - by, event.pk])


# --- the keyed chain -----------------------------------------------------------------------


def test_digests_are_hmacs_with_the_audit_key_not_plain_sha256(db):
    append(2)
    event = AuditEvent.objects.get(seq=2)
    fields = {f: getattr(event, f) for f in ("seq", "created_at", "actor_type", "actor_user_id", "actor_partner_id")}
    fields |= {f: getattr(event, f) for f in ("actor_label", "action", "object_type", "object_id", "reason")}
    fields |= {"before": event.before, "after": event.after, "prev_digest": event.prev_digest}
    assert event.digest == event_digest(key=settings.NCII_AUDIT_KEY.encode(), **fields)
    assert event.digest != legacy_event_digest(**fields)
    assert event.digest != event_digest(key=b"another key", **fields)


def test_an_edit_re_chained_without_the_key_is_still_detected(db, sink):
    append(6)
    _tamper("UPDATE audit_auditevent SET reason = 'nothing happened' WHERE seq = 3", [])

    rechain(None)  # every digest recomputed, but without the key

    checked, broken = audit_chain_verify()
    assert (checked, broken.seq) == (0, 1)
    assert "does not match its digest" in broken.problem


def test_verifying_with_another_audit_key_fails_at_the_first_event(db, settings):
    append(3)
    settings.NCII_AUDIT_KEY = "a-different-key-than-the-one-that-wrote-the-chain"
    assert audit_chain_verify()[1].seq == 1


# --- checkpoints ---------------------------------------------------------------------------


def test_the_beat_task_signs_the_head_into_the_log_and_the_file(db, sink, caplog):
    append(4)
    with caplog.at_level(logging.INFO, logger="audit.checkpoint"):
        assert audit_checkpoint_task.delay().get() == 4

    line = Path(sink).read_text().strip()
    record = json.loads(line)
    assert (record["seq"], record["digest"]) == (4, AuditEvent.objects.get(seq=4).digest)
    assert line in caplog.text
    assert "audit-checkpoint" in settings.CELERY_BEAT_SCHEDULE
    assert settings.CELERY_BEAT_SCHEDULE["audit-checkpoint"]["task"] == "audit.checkpoint"


def test_checkpoints_of_an_untouched_chain_all_agree(db, sink):
    audit_checkpoint_take()  # the empty chain
    append(5)
    audit_checkpoint_take()
    append(3)
    audit_checkpoint_take()

    out, error = verify(sink)

    assert error == ""
    assert "8 events verified" in out and "all 3 agree" in out


def test_a_truncated_tail_is_reported_as_such(db, sink):
    append(8)
    audit_checkpoint_take()
    _tamper("DELETE FROM audit_auditevent WHERE seq > 5", [])
    assert audit_chain_verify() == (5, None)  # what the chain alone cannot see

    _, error = verify(sink)

    assert "truncated tail (events #6–#8 deleted)" in error


def test_a_deleted_range_is_reported_as_such(db, sink):
    append(5)
    audit_checkpoint_take()
    append(5)
    _tamper("DELETE FROM audit_auditevent WHERE seq BETWEEN 3 AND 6", [])

    _, error = verify(sink)

    assert "events #3–#6 are missing (a deleted range)" in error


def test_a_deleted_range_renumbered_and_re_chained_with_the_key_is_caught_by_the_checkpoints(db, sink):
    append(5)
    audit_checkpoint_take()
    append(5)
    audit_checkpoint_take()
    _tamper("DELETE FROM audit_auditevent WHERE seq BETWEEN 3 AND 6", [])
    renumber_from(7, by=4)
    rechain(settings.NCII_AUDIT_KEY.encode(), from_seq=3)
    assert audit_chain_verify() == (6, None)  # the attacker had the key: the chain alone looks fine

    _, error = verify(sink)

    assert "1 rechained, 1 truncated" in error
    assert "event #5 no longer has the digest signed" in error and "re-chained history" in error
    assert "events #7–#10 deleted" in error


def test_a_history_re_chained_with_the_key_is_reported_as_such(db, sink):
    append(6)
    audit_checkpoint_take()
    _tamper("UPDATE audit_auditevent SET reason = 'rewritten' WHERE seq = 2", [])
    rechain(settings.NCII_AUDIT_KEY.encode(), from_seq=2)
    assert audit_chain_verify() == (6, None)

    _, error = verify(sink)

    assert "event #6 no longer has the digest signed" in error and "re-chained history" in error


def test_a_forged_or_unreadable_checkpoint_line_is_reported(db, sink):
    append(3)
    audit_checkpoint_take()
    forged = checkpoint_sign(
        Ed25519PrivateKey.generate(), seq=1, digest="f" * 64, at=AuditEvent.objects.get(seq=1).created_at
    )
    with open(sink, "a") as lines:
        lines.write(checkpoint_line(forged) + "\n")
        lines.write(Path(sink).read_text().splitlines()[0].replace('"seq": 3', '"seq": 2') + "\n")  # edited
        lines.write("not json\n")

    _, error = verify(sink)

    assert "2 forged, 1 unreadable (1 agree)" in error


def test_a_chain_cut_back_and_grown_again_between_checkpoints_is_reported(db, sink):
    append(3)
    checkpoint_at_3 = audit_checkpoint_take()
    append(2)
    late = audit_checkpoint_take()
    with open(sink, "a") as lines:  # a checkpoint taken while the tail was gone, then restored
        lines.write(
            checkpoint_line(checkpoint_sign(_signing(), seq=3, digest=checkpoint_at_3.digest, at=late.at)) + "\n"
        )

    _, error = verify(sink)

    assert "rewound" in error and "after line 2 had seen #5" in error


def test_another_public_key_verifies_none_of_the_hubs_checkpoints(db, sink):
    append(2)
    audit_checkpoint_take()
    other = public_key_b64(Ed25519PrivateKey.generate().public_key())

    _, error = verify(sink, "--public-key", other)

    assert "1 forged" in error
    assert verify(sink, "--public-key", public_key_b64(verifying_key()))[1] == ""


def test_a_missing_checkpoint_file_is_an_error_not_a_pass(db, tmp_path):
    _, error = verify(str(tmp_path / "nowhere.jsonl"))
    assert "Checkpoints could not be read" in error


def test_a_checkpoint_signature_covers_seq_digest_and_time(db):
    checkpoint = checkpoint_sign(_signing(), seq=7, digest="a" * 64, at=timezone.now())
    key = _signing().public_key()
    assert signature_valid(checkpoint, key)
    for change in ({"seq": 8}, {"digest": "b" * 64}, {"at": checkpoint.at.replace(year=2020)}):
        assert not signature_valid(checkpoint.__class__(**{**checkpoint.__dict__, **change}), key)


def _signing() -> Ed25519PrivateKey:
    from audit.anchoring import signing_key

    return signing_key()
