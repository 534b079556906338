"""The audit table refuses TRUNCATE on PostgreSQL (row triggers do not cover it), and the
chain becomes keyed: every existing event's digest is recomputed as an HMAC with NCII_AUDIT_KEY,
after checking the old unkeyed chain end to end, and the re-keying is itself an event.

Only a superuser session in ``session_replication_role = replica`` (the test suite's flush)
passes the trigger; the runtime role has no TRUNCATE privilege at all (ncii_site/db_roles.py)."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from audit.chain import GENESIS, event_digest, legacy_event_digest

TRUNCATE_GUARD = """
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
FIELDS = ("seq", "created_at", "actor_type", "actor_user_id", "actor_partner_id", "actor_label",
          "action", "object_type", "object_id", "reason", "before", "after")
BATCH = 2000


def _fields(event):
    return {name: getattr(event, name) for name in FIELDS}


def _events(AuditEvent):
    last = 0
    while batch := list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:BATCH]):
        yield batch
        last = batch[-1].seq


def _convert(AuditEvent, old_digest, new_digest):
    """Re-compute every digest with ``new_digest`` after checking it under ``old_digest``;
    return how many events and the last event's old digest."""
    old_prev, new_prev, count = GENESIS, GENESIS, 0
    for batch in _events(AuditEvent):
        for event in batch:
            fields = _fields(event)
            if event.seq != count + 1 or event.prev_digest != old_prev or old_digest(old_prev, fields) != event.digest:
                raise RuntimeError(
                    f"The audit chain is broken at event #{count + 1}; it is not re-keyed. Investigate with the "
                    "previous release's verify_audit before migrating."
                )
            old_prev, count = event.digest, count + 1
            event.prev_digest, event.digest = new_prev, new_digest(new_prev, fields)
            new_prev = event.digest
        AuditEvent.objects.bulk_update(batch, ["prev_digest", "digest"])
    return count, old_prev


def _keyed(prev, fields):
    return event_digest(key=settings.NCII_AUDIT_KEY.encode(), prev_digest=prev, **fields)


def _legacy(prev, fields):
    return legacy_event_digest(prev_digest=prev, **fields)


def _triggers(schema_editor, enable):
    """Off while this transaction rewrites the digests; also locks the table (and the chain's
    advisory lock) so nothing appends meanwhile. Run it with the app stopped: an old process
    appending after it would write an unkeyed digest."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SELECT pg_advisory_xact_lock(%s)", params=[0x4E434949])
        verb = "ENABLE" if enable else "DISABLE"
        schema_editor.execute(f"ALTER TABLE audit_auditevent {verb} TRIGGER audit_event_no_update", params=None)


def rekey(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    _triggers(schema_editor, enable=False)
    count, old_head = _convert(AuditEvent, _legacy, _keyed)
    _triggers(schema_editor, enable=True)
    if count:  # a new database has nothing to re-key
        head = AuditEvent.objects.order_by("-seq").first()
        fields = {
            "seq": count + 1, "created_at": timezone.now(), "actor_type": "system", "actor_user_id": None,
            "actor_partner_id": None, "actor_label": "migration", "action": "audit.chain_rekeyed",
            "object_type": "audit.auditevent", "object_id": str(count), "reason": "the chain is keyed (HMAC-SHA256)",
            "before": {"head": old_head, "digest": "sha256"}, "after": {"events": count, "digest": "hmac-sha256"},
        }
        AuditEvent.objects.create(prev_digest=head.digest, digest=_keyed(head.digest, fields), **fields)


def unkey(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    _triggers(schema_editor, enable=False)
    _convert(AuditEvent, _keyed, _legacy)
    _triggers(schema_editor, enable=True)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRUNCATE_GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(guard, unguard), migrations.RunPython(rekey, unkey)]
