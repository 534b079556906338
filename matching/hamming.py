"""Exact in-memory Hamming search over 256-bit PDQ hashes. Pure: numpy only, no Django.

Multi-index hashing: the hash is cut into ``CHUNKS`` = 11 chunks of up to 23 bits. If two
hashes are within distance 31, at least one chunk differs in at most floor(31 / 11) = 2 bits
(pigeonhole; bits left outside every chunk only lower the chunk distances). So a query probes,
in each chunk's table, every key within 2 bits of its own chunk, and verifies the candidates'
full distance: no match is missed and none is invented. Larger radii fall back to a scan.

Changes go to a small delta (scanned) and tombstones on the base; the base is rebuilt when
the delta outgrows a fraction of it, so no change costs a full rebuild. A base may also come
from arrays mapped from a snapshot file (``HammingIndex.from_arrays``, read-only, never merged):
then the tables are shared between processes and only the delta and tombstones are private."""

from collections.abc import Iterable, Sequence
from functools import cache
from itertools import combinations
from typing import Any

import numpy as np

WORDS = 4
CHUNKS = 11
MAX_CHUNK_BITS = 23
MAX_PROBE_BITS = 2  # per-chunk radius the tables serve: radius <= CHUNKS * 3 - 1 = 32


def pdq_to_words(hex_value: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(hex_value), dtype=">u8").astype(np.uint64)


def hexes_to_words(hex_values: list[str]) -> np.ndarray:
    raw = bytes.fromhex("".join(hex_values))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, WORDS)


def rows_to_arrays(rows: Iterable[Sequence[Any]], *, columns: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``columns`` integers then a hex PDQ, converted ``chunk`` rows at a time so no
    per-row object outlives its chunk: the integers as an int64 array of shape (rows, columns),
    and the hashes as words."""
    column_parts, word_parts = [], []
    batch: list[Sequence[Any]] = []

    def convert() -> None:
        column_parts.append(np.asarray([row[:-1] for row in batch], dtype=np.int64).reshape(len(batch), columns))
        word_parts.append(hexes_to_words([row[-1] for row in batch]))

    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            convert()
            batch = []
    if batch or not column_parts:
        convert()
    return np.concatenate(column_parts), np.concatenate(word_parts)


def hamming_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@cache
def _flip_masks(width: int, bits: int) -> np.ndarray:
    masks = [sum(1 << b for b in combo) for k in range(bits + 1) for combo in combinations(range(width), k)]
    return np.asarray(masks, dtype=np.int64)


def _query_keys(query: np.ndarray, width: int) -> np.ndarray:
    """``_chunk_key`` of every chunk of one hash, with Python integers (no array operations)."""
    value = (int(query[0]) << 192) | (int(query[1]) << 128) | (int(query[2]) << 64) | int(query[3])
    mask = (1 << width) - 1
    return np.array([(value >> (256 - (c + 1) * width)) & mask for c in range(CHUNKS)], dtype=np.int64)


def _distances(words: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Hamming distance of each (4,) row of ``words`` to ``query``; summing the four
    columns is several times faster than ``.sum(axis=1)`` over such short rows."""
    counts = np.bitwise_count(words ^ query)
    return counts[:, 0].astype(np.int64) + counts[:, 1] + counts[:, 2] + counts[:, 3]


def _chunk_key(words: np.ndarray, width: int, c: int) -> np.ndarray:
    """(N,) int64: chunk c is bits [c*width, (c+1)*width) counted from the top bit. One
    column at a time, so a build never holds all the chunk keys at once."""
    start = c * width
    word, offset = divmod(start, 64)
    if offset + width <= 64:
        part = (words[:, word] >> np.uint64(64 - offset - width)) & np.uint64((1 << width) - 1)
    else:
        high_bits = 64 - offset
        high = (words[:, word] & np.uint64((1 << high_bits) - 1)) << np.uint64(width - high_bits)
        part = high | (words[:, word + 1] >> np.uint64(64 - (width - high_bits)))
    return part.astype(np.int64)


class _Tables:
    """The static multi-index over a snapshot of hashes, rows sorted by id."""

    ids: np.ndarray
    words: np.ndarray
    offsets: np.ndarray
    rows: np.ndarray
    width: int
    alive: np.ndarray | None  # None: every row alive (allocated at the first tombstone)

    def __init__(self, ids: np.ndarray, words: np.ndarray) -> None:
        order = np.argsort(ids, kind="stable")
        self.ids, self.words = ids[order], words[order]
        self.alive = None
        n = len(self.ids)
        self.width = int(min(MAX_CHUNK_BITS, max(4, np.ceil(np.log2(max(n, 2))))))
        size = 1 << self.width
        self.offsets = np.empty(CHUNKS * (size + 1), dtype=np.int64 if CHUNKS * n >= 2**31 else np.int32)
        self.rows = np.empty(CHUNKS * n, dtype=np.int32)
        for c in range(CHUNKS):
            column = _chunk_key(self.words, self.width, c)
            self.rows[c * n : (c + 1) * n] = np.argsort(column, kind="stable")
            counts = np.bincount(column, minlength=size)
            table = self.offsets[c * (size + 1) : (c + 1) * (size + 1)]
            table[0] = c * n
            np.cumsum(counts, out=table[1:])
            np.add(table[1:], c * n, out=table[1:])
        self._table_starts = (np.arange(CHUNKS, dtype=np.int64) * (size + 1))[:, None]

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], width: int) -> "_Tables":
        """Tables over arrays built earlier (``arrays()``), e.g. mapped read-only from a file."""
        tables = cls.__new__(cls)
        tables.ids, tables.words = arrays["ids"], arrays["words"].reshape(-1, WORDS)
        tables.offsets, tables.rows, tables.width, tables.alive = arrays["offsets"], arrays["rows"], width, None
        tables._table_starts = (np.arange(CHUNKS, dtype=np.int64) * ((1 << width) + 1))[:, None]
        return tables

    def arrays(self) -> dict[str, np.ndarray]:
        return {"ids": self.ids, "words": self.words, "offsets": self.offsets, "rows": self.rows}

    def row_of(self, item_id: int) -> int | None:
        row = int(np.searchsorted(self.ids, item_id))
        found = row < len(self.ids) and self.ids[row] == item_id
        return row if found and (self.alive is None or self.alive[row]) else None

    def kill(self, row: int) -> None:
        if self.alive is None:
            self.alive = np.ones(len(self.ids), dtype=bool)
        self.alive[row] = False

    def live_rows(self) -> np.ndarray:
        return np.arange(len(self.ids)) if self.alive is None else np.flatnonzero(self.alive)

    def near(self, query: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """The live rows within ``radius`` of ``query`` (each once), with their distances.

        Candidates are verified before they are deduplicated: a row found through several
        chunks is verified more than once, which is cheaper than deduplicating thousands
        of candidates when only the few true matches need it."""
        bits = radius // CHUNKS
        if bits > MAX_PROBE_BITS:
            rows = self.live_rows()
        else:
            masks = _flip_masks(self.width, bits)
            probes = ((_query_keys(query, self.width)[:, None] ^ masks[None, :]) + self._table_starts).ravel()
            starts, ends = self.offsets[probes], self.offsets[probes + 1]
            counts = (ends - starts).astype(np.int64)
            total = int(counts.sum())
            if not total:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
            rows = self.rows[np.arange(total) + shift]
        distances = _distances(self.words[rows], query)
        keep = distances <= radius
        rows, distances = rows[keep], distances[keep]
        if bits <= MAX_PROBE_BITS and len(rows) > 1:
            order = np.argsort(rows, kind="stable")
            rows, distances = rows[order], distances[order]
            first = np.ones(len(rows), dtype=bool)
            first[1:] = rows[1:] != rows[:-1]
            rows, distances = rows[first], distances[first]
        if self.alive is None:
            return rows, distances
        live = self.alive[rows]
        return rows[live], distances[live]

    @property
    def nbytes(self) -> int:
        alive = 0 if self.alive is None else self.alive.nbytes
        return alive + sum(a.nbytes for a in (self.ids, self.words, self.offsets, self.rows))


class HammingIndex:
    def __init__(self, *, merge_fraction: float = 1 / 32, min_merge: int = 4096, merges: bool = True) -> None:
        self._base = _Tables(np.zeros(0, dtype=np.int64), np.zeros((0, WORDS), dtype=np.uint64))
        self._delta: dict[int, np.ndarray] = {}
        self._delta_arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._merge_fraction, self._min_merge, self._merges = merge_fraction, min_merge, merges
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @classmethod
    def build(cls, ids: np.ndarray, words: np.ndarray, **kwargs: float) -> "HammingIndex":
        """Bulk load (unique ids), without going through the delta."""
        index = cls(**kwargs)  # type: ignore[arg-type]
        index._base = _Tables(np.asarray(ids, dtype=np.int64), np.asarray(words, dtype=np.uint64))
        index._size = len(ids)
        return index

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], width: int) -> "HammingIndex":
        """An index whose base is ``base_arrays()`` of an earlier build (e.g. mapped from a
        snapshot, read-only). It never merges: the delta grows until a newer base replaces it."""
        index = cls(merges=False)
        index._base = _Tables.from_arrays(arrays, width)
        index._size = len(index._base.ids)
        return index

    def base_arrays(self) -> tuple[dict[str, np.ndarray], int]:
        """The base tables' arrays and chunk width (a bulk-built index has no delta)."""
        return self._base.arrays(), self._base.width

    @property
    def delta_size(self) -> int:
        return len(self._delta)

    def upsert(self, items: Iterable[tuple[int, str]]) -> None:
        """Add or replace (id, hex) pairs."""
        for item_id, hex_value in items:
            self._forget(item_id)
            self._delta[item_id] = pdq_to_words(hex_value)
            self._size += 1
        self._delta_arrays = None
        self._maybe_merge()

    def remove(self, ids: Iterable[int]) -> None:
        for item_id in ids:
            self._forget(item_id)
        self._delta_arrays = None

    def _forget(self, item_id: int) -> None:
        if self._delta.pop(item_id, None) is not None:
            self._size -= 1
            return
        row = self._base.row_of(item_id)
        if row is not None:
            self._base.kill(row)
            self._size -= 1

    def _maybe_merge(self) -> None:
        if not self._merges:
            return
        if len(self._delta) <= max(self._min_merge, int(len(self._base.ids) * self._merge_fraction)):
            return
        live = self._base.live_rows()
        delta_ids, delta_words = self._deltas()
        ids = np.concatenate([self._base.ids[live], delta_ids])
        words = np.vstack([self._base.words[live], delta_words])
        self._base, self._delta, self._delta_arrays = _Tables(ids, words), {}, None

    def _deltas(self) -> tuple[np.ndarray, np.ndarray]:
        if self._delta_arrays is None:
            ids = np.fromiter(self._delta.keys(), dtype=np.int64, count=len(self._delta))
            words = np.asarray(list(self._delta.values()), dtype=np.uint64).reshape(-1, WORDS)
            self._delta_arrays = (ids, words)
        return self._delta_arrays

    def search_words(self, query: np.ndarray, radius: int) -> list[tuple[int, int]]:
        rows, distances = self._base.near(query, radius)
        ids = self._base.ids[rows]
        delta_ids, delta_words = self._deltas()
        if len(delta_ids):
            delta_distances = _distances(delta_words, query)
            keep = delta_distances <= radius
            ids = np.concatenate([ids, delta_ids[keep]])
            distances = np.concatenate([distances, delta_distances[keep]])
        order = np.lexsort((ids, distances))
        return list(zip(ids[order].tolist(), distances[order].tolist(), strict=True))

    def search(self, hex_value: str, radius: int) -> list[tuple[int, int]]:
        """Every (id, distance) within ``radius`` of the query, nearest first, then by id."""
        return self.search_words(pdq_to_words(hex_value), radius)

    def search_many(self, hex_values: list[str], radius: int) -> list[list[tuple[int, int]]]:
        if not hex_values:
            return []
        return [self.search_words(row, radius) for row in hexes_to_words(hex_values)]

    @property
    def nbytes(self) -> int:
        return self._base.nbytes + len(self._delta) * (WORDS * 8 + 8)
