"""Reasons are chained by their SHA-256, so retention and erasure can blank a reason's text and
the chain still verifies; any other change to an event is still caught (and refused by
PostgreSQL's trigger)."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor, audit_reasons_erase, audit_record
from hub.tasks import retention_purge_task
from moderation.audit_events import ITEM_DISMISS
from moderation.models import ReviewItem
from moderation.services import review_decide
from tests.factories import PartnerFactory, item_open
from tests.test_audit import _tamper


@pytest.fixture
def chain(db):  # type: ignore[no-untyped-def]
    with transaction.atomic():
        for i in range(4):
            audit_record(actor=Actor.system(), action="test.event", object_type="t", object_id=i, reason=f"why {i}")
    return list(AuditEvent.objects.order_by("seq"))


def test_a_reason_is_chained_by_its_digest(chain):
    assert chain[1].reason_sha256 == hashlib.sha256(b"why 1").hexdigest()
    assert audit_chain_verify() == (4, None)


def test_erasing_reasons_keeps_the_chain_and_the_facts(chain):
    with transaction.atomic():
        erased = audit_reasons_erase(AuditEvent.objects.filter(seq__in=[2, 3]))

    assert erased == [2, 3]
    event = AuditEvent.objects.get(seq=2)
    assert (event.reason, event.action, event.object_id) == ("", "test.event", "1")
    assert event.reason_sha256 == chain[1].reason_sha256 and event.reason_erased_at is not None
    assert audit_chain_verify() == (4, None)
    call_command("verify_audit")


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("UPDATE audit_auditevent SET reason = 'forged' WHERE seq = 3", []),
        ("UPDATE audit_auditevent SET reason_sha256 = %s WHERE seq = 3", ["0" * 64]),
        ("UPDATE audit_auditevent SET reason = '', reason_sha256 = '' WHERE seq = 3", []),
    ],
)
def test_changing_a_reason_or_its_digest_is_still_detected(chain, sql, params):
    _tamper(sql, params)

    assert audit_chain_verify()[1].seq == 3


def test_review_note_retention_erases_the_decision_events_note(db, moderator):
    item = item_open(PartnerFactory())
    review_decide(moderator=moderator, item_id=item.pk, decision="dismiss", reason_code="other", note="her tattoo")
    long_ago = timezone.now() - timedelta(days=800)
    ReviewItem.objects.filter(pk=item.pk).update(decided_at=long_ago)
    _backdate(long_ago)

    retention_purge_task()

    decision = AuditEvent.objects.get(action=ITEM_DISMISS)
    assert (decision.reason, decision.actor_user, decision.after["state"]) == ("", moderator, "dismissed")
    assert "other" in str(decision.after)  # the reason code stays
    assert ReviewItem.objects.get(pk=item.pk).decision_note == ""
    assert not AuditEvent.objects.filter(reason__contains="tattoo").exists()
    assert audit_chain_verify()[1] is None


def _backdate(when) -> None:  # type: ignore[no-untyped-def]
    """Move every event back to ``when`` and re-sign the chain, as if it had been written then."""
    from audit.chain import GENESIS, event_digest, reason_chained
    from audit.selectors import chain_key

    with transaction.atomic():
        _tamper("UPDATE audit_auditevent SET created_at = %s", [when])
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq"):
        fields = {f.attname: getattr(event, f.attname) for f in AuditEvent._meta.fields}
        for name in ("id", "prev_digest", "digest", "reason_sha256", "reason_erased_at"):
            fields.pop(name)
        fields["reason"] = reason_chained(reason=event.reason, sha256=event.reason_sha256)
        digest = event_digest(key=chain_key(), prev_digest=prev, **fields)
        with transaction.atomic():
            _tamper("UPDATE audit_auditevent SET prev_digest = %s, digest = %s WHERE id = %s", [prev, digest, event.pk])
        prev = digest


@pytest.mark.postgres
def test_postgres_lets_only_an_erasure_through(chain):
    with transaction.atomic():
        audit_reasons_erase(AuditEvent.objects.filter(seq=1))
    refused = [
        "UPDATE audit_auditevent SET reason = 'x' WHERE seq = 2",
        "UPDATE audit_auditevent SET reason = '', reason_erased_at = now(), action = 'y' WHERE seq = 2",
        "UPDATE audit_auditevent SET reason = '', reason_erased_at = now(), reason_sha256 = '' WHERE seq = 2",
    ]
    for sql in refused:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get(seq=1).reason == "" and AuditEvent.objects.get(seq=2).reason == "why 1"
    assert audit_chain_verify() == (4, None)
