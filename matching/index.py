"""The process-wide PDQ index over active bank hashes, refreshed incrementally from the
bank's modification times. Results are always re-checked against the database, so a stale
entry can never produce a false match."""

import threading
from datetime import datetime, timedelta

from django.utils import timezone

from matching.hamming import HammingIndex
from matching.models import BankHash
from matching.signals import SignalType

# Re-read this much history on every refresh: a transaction that commits late with an
# earlier modification time is still picked up.
REFRESH_OVERLAP = timedelta(minutes=5)


class BankIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index = HammingIndex()
        self._watermark: datetime | None = None

    def refresh(self) -> None:
        with self._lock:
            rows = BankHash.objects.filter(signal_type=SignalType.PDQ)
            if self._watermark is not None:
                rows = rows.filter(modified_at__gte=self._watermark - REFRESH_OVERLAP)
            active, gone, newest = [], [], self._watermark
            for pk, value, status, modified in rows.values_list("id", "value", "status", "modified_at").iterator(
                chunk_size=10_000
            ):
                (active if status == BankHash.Status.ACTIVE else gone).append((pk, value))
                newest = modified if newest is None or modified > newest else newest
            self._index.remove(pk for pk, _ in gone)
            self._index.upsert(active)
            self._watermark = newest or timezone.now() - REFRESH_OVERLAP

    def candidates(self, hex_value: str, radius: int) -> list[int]:
        self.refresh()
        return [pk for pk, _ in self._index.search(hex_value, radius)]

    def reset(self) -> None:
        with self._lock:
            self._index = HammingIndex()
            self._watermark = None


bank_index = BankIndex()
