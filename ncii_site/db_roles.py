"""Two database roles on PostgreSQL: the owner, which migrations run as (DATABASE_MIGRATE_URL),
and the runtime role the app runs as (DATABASE_URL), which may read and write the app's tables
but not alter the schema, and may only INSERT and SELECT audit events (and blank a reason's
text): no other UPDATE, no DELETE or TRUNCATE, whatever a bug or an intruder in the app tries.
(The owner is still refused by the audit table's triggers; what it could do anyway, the keyed
chain and checkpoints reveal.)"""

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.db.backends.base.base import BaseDatabaseWrapper

# Tables the runtime role may only append to and read; and the columns it may still update
# there (erasing a reason's text, which the chain covers by its digest: audit 0003).
APPEND_ONLY = {"audit_auditevent"}
ERASABLE_COLUMNS = {"audit_auditevent": ("reason", "reason_erased_at")}


class RoleConfigError(ValueError):
    pass


@contextmanager
def connected_as_owner(connection: BaseDatabaseWrapper, url: str) -> Iterator[str]:
    """Run the block on ``connection`` logged in as ``url``'s role (the same database only);
    yield the runtime role's name, and restore the runtime login after."""
    owner = dj_database_url.parse(url)
    current = connection.settings_dict
    same = ("ENGINE", "NAME", "HOST", "PORT")
    if any(str(owner.get(k) or "") != str(current.get(k) or "") for k in same):
        raise RoleConfigError("DATABASE_MIGRATE_URL must name the same database as DATABASE_URL (another role only).")
    runtime, saved = current["USER"], {k: current.get(k) for k in ("USER", "PASSWORD")}
    connection.close()
    current.update({"USER": owner["USER"], "PASSWORD": owner.get("PASSWORD", "")})
    try:
        yield runtime
    finally:
        connection.close()
        current.update(saved)


def runtime_role_grant(connection: BaseDatabaseWrapper, *, role: str) -> list[str]:
    """Give ``role`` what the app needs on every table of the current schema, and on the
    append-only tables only SELECT and INSERT. Run as the owner after migrating."""
    quote = connection.ops.quote_name
    statements = [f"GRANT USAGE ON SCHEMA {quote(_schema(connection))} TO {quote(role)}"]
    for table in sorted(connection.introspection.table_names()):
        rights = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        statements += [
            f"REVOKE ALL ON {quote(table)} FROM {quote(role)}",
            f"GRANT {rights} ON {quote(table)} TO {quote(role)}",
        ]
        if columns := ERASABLE_COLUMNS.get(table):
            names = ", ".join(quote(c) for c in columns)
            statements.append(f"GRANT UPDATE ({names}) ON {quote(table)} TO {quote(role)}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(_schema(connection))} TO {quote(role)}")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def _schema(connection: BaseDatabaseWrapper) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return str(cursor.fetchone()[0])
