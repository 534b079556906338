"""The exact database path of PDQ lookups: what a process answers from while it has no index
snapshot (just started, none built yet, or more changes since its snapshot than it keeps in
its delta). It scans the active PDQ hashes, so it is exact and always current, and slower
than the index: on PostgreSQL the database compares (``bit_count`` of the XOR, one scan per
query hash); elsewhere the rows are streamed in chunks and compared with numpy."""

import numpy as np
from django.db import connection

from matching.hamming import WORDS, hexes_to_words
from matching.models import BankHash
from matching.signal_types import SignalType

CHUNK = 50_000

_PG_SCAN = """
    SELECT q.i, b.id
    FROM unnest(%s::text[]) WITH ORDINALITY AS q(v, i)
    CROSS JOIN LATERAL (
        SELECT id FROM {table}
        WHERE signal_type = %s AND status = %s
          AND bit_count(('x' || value)::bit(256) # ('x' || q.v)::bit(256)) <= %s
    ) AS b
"""


def bank_scan_candidates(hex_values: list[str], radius: int) -> list[list[int]]:
    """For each normalised PDQ hex, the ids of active bank hashes within ``radius``."""
    if not hex_values:
        return []
    if connection.vendor == "postgresql":
        return _scan_postgres(hex_values, radius)
    return _scan_chunks(hex_values, radius)


def _scan_postgres(hex_values: list[str], radius: int) -> list[list[int]]:
    found: list[list[int]] = [[] for _ in hex_values]
    sql = _PG_SCAN.format(table=connection.ops.quote_name(BankHash._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [hex_values, SignalType.PDQ.value, BankHash.Status.ACTIVE.value, radius])
        for position, pk in cursor.fetchall():
            found[position - 1].append(pk)
    return found


def _scan_chunks(hex_values: list[str], radius: int) -> list[list[int]]:
    queries = hexes_to_words(hex_values)
    found: list[list[int]] = [[] for _ in hex_values]
    rows = BankHash.objects.filter(signal_type=SignalType.PDQ, status=BankHash.Status.ACTIVE)
    ids: list[int] = []
    values: list[str] = []
    for pk, value in rows.values_list("id", "value").iterator(chunk_size=CHUNK):
        ids.append(pk)
        values.append(value)
        if len(ids) == CHUNK:
            _compare(np.asarray(ids), hexes_to_words(values), queries, radius, found)
            ids, values = [], []
    if ids:
        _compare(np.asarray(ids), hexes_to_words(values), queries, radius, found)
    return found


def _compare(ids: np.ndarray, words: np.ndarray, queries: np.ndarray, radius: int, found: list[list[int]]) -> None:
    for position, query in enumerate(queries.reshape(-1, WORDS)):
        distances = np.bitwise_count(words ^ query).sum(axis=1)
        found[position].extend(ids[distances <= radius].tolist())
