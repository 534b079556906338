"""Two roles on PostgreSQL (issue 10, section 6): `manage.py migrate` runs as the owner named
by DATABASE_MIGRATE_URL and grants DATABASE_URL's role what the app needs; that runtime role may
INSERT and SELECT audit events but not UPDATE, DELETE or TRUNCATE them, nor alter the schema; and
even the owner meets the audit table's triggers. A fresh database, two fresh roles, real logins."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dj_database_url
import psycopg
import pytest
from psycopg import errors, sql

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[1]


def _server() -> dict:
    url = dj_database_url.parse(os.environ["DATABASE_URL"])
    return {"host": url["HOST"] or "127.0.0.1", "port": url["PORT"] or 5432, "user": url["USER"]}


def _url(role: str, database: str) -> str:
    server = _server()
    return f"postgres://{role}@{server['host']}:{server['port']}/{database}"


def _admin(*statements: sql.Composed) -> None:
    with psycopg.connect(**_server(), dbname="postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "manage.py", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def roles():  # type: ignore[no-untyped-def]
    suffix = secrets.token_hex(4)
    owner, app, db = f"ncii_owner_{suffix}", f"ncii_app_{suffix}", f"ncii_roles_{suffix}"
    _admin(
        sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(owner)),
        sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(app)),
        sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner)),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DATABASE_MIGRATE_URL")}
    env |= {"DATABASE_URL": _url(app, db), "DB_CONN_MAX_AGE": "0"}
    migrated = manage(env | {"DATABASE_MIGRATE_URL": _url(owner, db)}, "migrate", "--noinput")
    try:
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        yield SimpleNamespace(owner=owner, app=app, db=db, env=env, migrated=migrated.stdout)
    finally:
        _admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(app)),
            sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(owner)),
        )


def login(roles, role: str) -> psycopg.Connection:  # type: ignore[no-untyped-def]
    return psycopg.connect(**{**_server(), "user": role}, dbname=roles.db, autocommit=True)


def test_migrations_ran_as_the_owner_and_granted_the_runtime_role(roles):
    with login(roles, roles.owner) as conn:
        owners = {
            row[0] for row in conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
    assert owners == {roles.owner}
    assert f"Granted {roles.app} the runtime rights" in roles.migrated


def test_the_app_works_as_the_runtime_role(roles):
    created = manage(roles.env, "create_partner", "roles-demo", "--json")
    assert created.returncode == 0, created.stderr[-2000:]

    verified = manage(roles.env, "verify_audit")

    assert verified.returncode == 0, verified.stderr[-2000:]
    assert "Audit chain intact" in verified.stdout
    with login(roles, roles.app) as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update",
        "CREATE TABLE audit_shadow (id int)",
        "SET session_replication_role = replica",
    ],
)
def test_the_runtime_role_cannot_rewrite_the_audit_table(roles, statement):
    with login(roles, roles.app) as conn:
        before = conn.execute("SELECT count(*), max(digest) FROM audit_auditevent").fetchone()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
        assert conn.execute("SELECT count(*), max(digest) FROM audit_auditevent").fetchone() == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditevent SET reason = 'rewritten'", "DELETE FROM audit_auditevent", "TRUNCATE audit_auditevent"],
)
def test_even_the_owner_meets_the_append_only_triggers(roles, statement):
    with login(roles, roles.owner) as conn:
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
        with pytest.raises(errors.InsufficientPrivilege):  # the superuser's way past triggers is closed to it
            conn.execute("SET session_replication_role = replica")


def test_migrate_refuses_an_owner_url_for_another_database(roles):
    result = manage(roles.env | {"DATABASE_MIGRATE_URL": _url(roles.owner, "postgres")}, "migrate", "--noinput")
    assert result.returncode != 0
    assert "must name the same database" in result.stderr


ERASE_AS_APP = """
from django.db import transaction
from audit.models import AuditEvent
from audit.services import Actor, audit_reasons_erase, audit_record_atomic
event = audit_record_atomic(actor=Actor.system(), action="t.erasable", object_type="t", object_id=1, reason="a name")
with transaction.atomic():
    print("erased", audit_reasons_erase(AuditEvent.objects.filter(pk=event.pk)))
"""


def test_the_runtime_role_may_blank_a_reason_and_the_chain_still_verifies(roles):
    erased = manage(roles.env, "shell", "-c", ERASE_AS_APP)
    verified = manage(roles.env, "verify_audit")

    assert "erased [" in erased.stdout, erased.stderr
    assert "Audit chain intact" in verified.stdout
    with login(roles, roles.app) as conn:
        assert conn.execute("SELECT reason FROM audit_auditevent WHERE action = 't.erasable'").fetchone() == ("",)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("UPDATE audit_auditevent SET reason_sha256 = '' WHERE action = 't.erasable'")
