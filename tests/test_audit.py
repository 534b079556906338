import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor, audit_record
from moderation.audit_events import ITEM, ITEM_DISMISS
from moderation.services import review_decide
from tests.factories import PartnerFactory, item_open


@pytest.fixture
def chain(db):
    with transaction.atomic():
        for i in range(5):
            audit_record(actor=Actor.system(), action="test.event", object_type="t", object_id=i, after={"n": i})
    return list(AuditEvent.objects.order_by("seq"))


def _tamper(sql: str, params: list) -> None:
    """Edit the table behind the app's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_intact_chain_verifies(chain, capsys):
    assert audit_chain_verify() == (5, None)
    call_command("verify_audit")
    assert "5 events verified" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("column", "value"),
    [("reason", "'forged'"), ("action", "'item.dismiss'"), ("actor_label", "'someone-else'"), ("object_id", "'99'")],
)
def test_editing_any_field_is_detected_at_that_row(chain, column, value):
    _tamper(f"UPDATE audit_auditevent SET {column} = {value} WHERE seq = 3", [])  # noqa: S608
    checked, broken = audit_chain_verify()
    assert (checked, broken.seq) == (2, 3)
    with pytest.raises(CommandError, match="broken at event #3"):
        call_command("verify_audit")


def test_editing_json_before_after_is_detected(chain):
    _tamper("UPDATE audit_auditevent SET after = %s WHERE seq = 2", ['{"n": 42}'])
    assert audit_chain_verify()[1].seq == 2


def test_deleting_a_row_is_detected(chain):
    _tamper("DELETE FROM audit_auditevent WHERE seq = 4", [])
    broken = audit_chain_verify()[1]
    assert broken.seq == 4 and "missing" in broken.problem


def test_recomputing_a_digest_breaks_the_next_link(chain):
    from audit.selectors import _recompute

    forged = chain[1]
    forged.reason = "rewritten"
    new_digest = _recompute(forged, forged.prev_digest)
    _tamper("UPDATE audit_auditevent SET reason = 'rewritten', digest = %s WHERE seq = 2", [new_digest])
    broken = audit_chain_verify()[1]
    assert broken.seq == 3 and "predecessor" in broken.problem


def test_the_app_refuses_to_update_or_delete_events(chain):
    event = chain[0]
    event.reason = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.postgres
@pytest.mark.parametrize("sql", ["UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"])
def test_postgres_refuses_update_and_delete(chain, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 5


def test_audit_record_needs_the_callers_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        audit_record(actor=Actor.system(), action="x", object_type="t", object_id=1)


def test_a_decision_records_who_what_why_before_and_after(db, moderator):
    item = item_open(PartnerFactory())
    review_decide(
        moderator=moderator, item_id=item.pk, decision="dismiss", reason_code="other", note="not the same image"
    )
    event = AuditEvent.objects.get(action=ITEM_DISMISS)
    assert (event.actor_type, event.actor_user, event.actor_label) == ("user", moderator, "mod")
    assert (event.object_type, event.object_id) == (ITEM, str(item.pk))
    assert event.before["state"] == "pending" and event.after["state"] == "dismissed"
    assert event.reason == "not the same image"
    assert audit_chain_verify()[1] is None
