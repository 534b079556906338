"""In-memory Hamming index over 256-bit PDQ hashes. Pure: numpy only, no Django.

Hashes are held as rows of four uint64 words; a query is an exact scan with a vectorised
popcount, so results are exact by construction (no candidate filtering to get wrong)."""

from collections.abc import Iterable

import numpy as np

WORDS = 4


def pdq_to_words(hex_value: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(hex_value), dtype=">u8").astype(np.uint64)


def hamming_distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class HammingIndex:
    def __init__(self) -> None:
        self._words = np.zeros((0, WORDS), dtype=np.uint64)
        self._ids = np.zeros(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._row_of)

    def upsert(self, items: Iterable[tuple[int, str]]) -> None:
        """Add or replace (id, hex) pairs."""
        new_ids, new_words = [], []
        for item_id, hex_value in items:
            words = pdq_to_words(hex_value)
            row = self._row_of.get(item_id)
            if row is not None:
                self._words[row] = words
            else:
                new_ids.append(item_id)
                new_words.append(words)
        if new_ids:
            start = len(self._ids)
            self._ids = np.concatenate([self._ids, np.asarray(new_ids, dtype=np.int64)])
            self._words = np.vstack([self._words, np.asarray(new_words, dtype=np.uint64)])
            for offset, item_id in enumerate(new_ids):
                self._row_of[item_id] = start + offset

    def remove(self, ids: Iterable[int]) -> None:
        rows = [self._row_of.pop(i) for i in ids if i in self._row_of]
        if not rows:
            return
        keep = np.ones(len(self._ids), dtype=bool)
        keep[rows] = False
        self._ids, self._words = self._ids[keep], self._words[keep]
        self._row_of = {int(i): r for r, i in enumerate(self._ids)}

    def search(self, hex_value: str, radius: int) -> list[tuple[int, int]]:
        """Every (id, distance) within ``radius`` of the query, nearest first, then by id."""
        if not len(self._ids):
            return []
        distances = np.bitwise_count(self._words ^ pdq_to_words(hex_value)).sum(axis=1)
        hits = np.nonzero(distances <= radius)[0]
        pairs = sorted(zip(distances[hits].tolist(), self._ids[hits].tolist(), strict=True))
        return [(item_id, dist) for dist, item_id in pairs]
