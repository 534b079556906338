"""Bulk import on PostgreSQL at database speed: a batch is streamed with ``COPY`` into a
temporary staging table and merged into the bank by one set-based ``INSERT … SELECT``
(``ON CONFLICT DO NOTHING``: a hash already in the bank, or one a concurrent writer adds
first, is a duplicate, never an error). SQLite keeps ``bulk_create`` (matching.services).
Runs inside the caller's transaction; the staging rows go with it (``ON COMMIT DELETE ROWS``)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from matching.importing import ImportRow
from matching.models import BankHash

_STAGING = "ncii_import_staging"

_CREATE_STAGING = f"""
    CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (
        signal_type varchar(16) NOT NULL, value varchar(64) NOT NULL, quality smallint
    ) ON COMMIT DELETE ROWS
"""

# The staged rows are distinct and sorted by value, which keeps the unique index's inserts local.
_MERGE = """
    INSERT INTO {bank} (
        signal_type, value, quality, status, source, source_name, case_refs, created_at, modified_at, public_id
    )
    SELECT signal_type, value, quality, %(status)s, %(source)s, %(source_name)s, '{{}}'::jsonb, %(now)s, %(now)s,
        gen_random_uuid()
    FROM {staging}
    ON CONFLICT (signal_type, value) DO NOTHING
"""


def bank_hashes_copy(*, rows: Sequence[ImportRow], source_name: str, now: datetime) -> int:
    """Adds the rows not yet in the bank; returns how many were added. A hash repeated in
    the batch keeps its last row, as in the SQLite path."""
    unique = {(r.signal_type, r.value): r.quality for r in rows}
    bank = connection.ops.quote_name(BankHash._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_CREATE_STAGING)
        cursor.execute(f"TRUNCATE {_STAGING}")  # a second batch in one transaction starts empty
        with cursor.copy(f"COPY {_STAGING} (signal_type, value, quality) FROM STDIN") as copy:
            for key in sorted(unique):
                copy.write_row((*key, unique[key]))
        params: dict[str, Any] = {
            "status": BankHash.Status.ACTIVE.value,
            "source": BankHash.Source.IMPORT.value,
            "source_name": source_name,
            "now": now,
        }
        cursor.execute(_MERGE.format(bank=bank, staging=_STAGING), params)
        return cursor.rowcount


def bank_analyse() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL only): without them the
    exchange's keyset pages were planned for an empty table, five times slower."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(BankHash._meta.db_table)}")
