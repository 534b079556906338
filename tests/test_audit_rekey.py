"""Migration audit 0005 re-keys an existing unkeyed chain: it checks the old chain end to end,
recomputes every digest as an HMAC with NCII_AUDIT_KEY and records the re-keying as an event;
it refuses to launder a broken chain, and runs backwards."""

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import GENESIS, legacy_event_digest
from audit.selectors import audit_chain_verify
from tests.test_audit import _tamper

BEFORE = ("audit", "0001_initial")
AFTER = ("audit", "0002_keyed_chain_truncate_guard")
LATEST = ("audit", "0003_reason_digest")  # reasons chained by digest (its columns are new)
_schema = {"at": LATEST}


def tamper(sql: str) -> None:
    with transaction.atomic():  # SET LOCAL (triggers off on PostgreSQL) lasts one transaction
        _tamper(sql, [])


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    _schema["at"] = target


def events():  # type: ignore[no-untyped-def]
    """The audit event model as the schema stands after the last migration the test ran."""
    state = MigrationExecutor(connection).loader.project_state([_schema["at"]])
    return state.apps.get_model("audit", "AuditEvent").objects


@pytest.fixture
def unkeyed_chain(transactional_db):  # type: ignore[no-untyped-def]
    """Five events written as the hub wrote them before 0005 (plain SHA-256 digests)."""
    migrate(BEFORE)
    prev = GENESIS
    for seq in range(1, 6):
        fields = {
            "seq": seq, "created_at": timezone.now(), "actor_type": "system", "actor_user_id": None,
            "actor_partner_id": None, "actor_label": "system", "action": "test.event", "object_type": "t",
            "object_id": str(seq), "reason": "", "before": {}, "after": {"n": seq},
        }  # fmt: skip
        prev = (
            events().create(prev_digest=prev, digest=legacy_event_digest(prev_digest=prev, **fields), **fields).digest
        )
    yield prev
    tamper("DELETE FROM audit_auditevent")  # the next test's database starts empty, whatever this one did
    migrate(LATEST)


def _legacy_chain_intact() -> bool:
    prev = GENESIS
    for event in events().order_by("seq"):
        fields = {
            f.attname: getattr(event, f.attname)
            for f in events().model._meta.fields
            if f.name not in ("id", "prev_digest", "digest")
        }
        if event.prev_digest != prev or legacy_event_digest(prev_digest=prev, **fields) != event.digest:
            return False
        prev = event.digest
    return True


def test_the_migration_re_keys_the_chain_and_records_it(unkeyed_chain):
    assert _legacy_chain_intact()  # unkeyed; the keyed check needs 0003's columns to run

    migrate(LATEST)  # 0002 re-keys; 0003's digest columns stay empty: their chain covers the text

    assert audit_chain_verify() == (6, None)
    event = events().get(seq=6)
    assert (event.action, event.actor_label) == ("audit.chain_rekeyed", "migration")
    assert event.before == {"head": unkeyed_chain, "digest": "sha256"}
    assert event.after == {"events": 5, "digest": "hmac-sha256"}


def test_a_broken_chain_is_not_re_keyed(unkeyed_chain):
    tamper("UPDATE audit_auditevent SET reason = 'forged' WHERE seq = 3")

    with pytest.raises(RuntimeError, match="broken at event #3"):
        migrate(AFTER)

    assert events().count() == 5
    assert events().get(seq=5).digest == unkeyed_chain


def test_migrating_back_restores_the_unkeyed_digests(unkeyed_chain):
    migrate(AFTER)
    migrate(BEFORE)

    assert _legacy_chain_intact()
    assert events().count() == 6
