"""The process-wide PDQ index over active bank hashes: bulk-loaded on first use, then
refreshed incrementally from the bank's modification times. Results are always re-checked
against the database, so a stale entry can never produce a false match."""

import threading
import time
from datetime import datetime

import numpy as np
from django.conf import settings

from matching.hamming import HammingIndex, hexes_to_words
from matching.horizon import change_horizon
from matching.models import BankHash
from matching.signal_types import SignalType

LOAD_CHUNK = 50_000


class BankIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: HammingIndex | None = None
        self._watermark: datetime | None = None
        self._refreshed_at = 0.0

    def _pdq_rows(self):  # type: ignore[no-untyped-def]
        return BankHash.objects.filter(signal_type=SignalType.PDQ)

    def _load(self) -> None:
        horizon = change_horizon()
        ids, values = [], []
        rows = self._pdq_rows().filter(status=BankHash.Status.ACTIVE).values_list("id", "value")
        for pk, value in rows.iterator(chunk_size=LOAD_CHUNK):
            ids.append(pk)
            values.append(value)
        words = hexes_to_words(values) if values else np.zeros((0, 4), dtype=np.uint64)
        self._index = HammingIndex.build(np.asarray(ids, dtype=np.int64), words)
        self._watermark = horizon

    def _apply_changes(self) -> None:
        """Changes since the last refresh's horizon: nothing older can still commit, so this
        reads each change about once, however busy the bank is."""
        assert self._index is not None and self._watermark is not None
        horizon = change_horizon()
        rows = self._pdq_rows().filter(modified_at__gte=self._watermark)
        active: list[tuple[int, str]] = []
        gone: list[tuple[int, str]] = []
        for pk, value, status in rows.values_list("id", "value", "status").iterator():
            (active if status == BankHash.Status.ACTIVE else gone).append((pk, value))
        if len(active) + len(gone) > max(50_000, len(self._index) // 10):
            self._load()  # a bulk change (an import): reloading beats row-by-row updates
            return
        self._index.remove(pk for pk, _ in gone)
        self._index.upsert(active)
        self._watermark = horizon

    def refresh(self, *, force: bool = False) -> HammingIndex:
        with self._lock:
            due = time.monotonic() - self._refreshed_at >= settings.NCII_INDEX_REFRESH_SECONDS
            if self._index is None:
                self._load()
            elif force or due:
                self._apply_changes()
            else:
                return self._index
            self._refreshed_at = time.monotonic()
            assert self._index is not None
            return self._index

    def candidates_many(self, hex_values: list[str], radius: int) -> list[list[int]]:
        index = self.refresh()
        return [[pk for pk, _ in hits] for hits in index.search_many(hex_values, radius)]

    def candidates(self, hex_value: str, radius: int) -> list[int]:
        return self.candidates_many([hex_value], radius)[0]

    def reset(self) -> None:
        with self._lock:
            self._index, self._watermark, self._refreshed_at = None, None, 0.0


bank_index = BankIndex()
