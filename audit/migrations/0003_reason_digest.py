"""Reasons are chained by their SHA-256 from now on (audit.chain.reason_chained), so their text
can be erased (retention, a person's erasure request) and the chain still verifies. Events
written before this migration keep covering their text, which therefore stays.

On PostgreSQL the append-only trigger now lets exactly one UPDATE through: blanking the reason
of an event that has a digest, setting reason_erased_at, with every other column unchanged.
The runtime role gets UPDATE on those two columns only (ncii_site/db_roles.py)."""

from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.reason_sha256 <> '' AND NEW.reason = ''
       AND NEW.reason_erased_at IS NOT NULL
       AND to_jsonb(NEW) - 'reason' - 'reason_erased_at' = to_jsonb(OLD) - 'reason' - 'reason_erased_at' THEN
        RETURN NEW;  -- erasing a reason's text; the chain keeps its digest
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

BACKWARD = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_keyed_chain_truncate_guard")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="reason_erased_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="reason_sha256",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(forward, backward),
    ]
