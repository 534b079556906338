"""The process-wide PDQ index over active bank hashes. Its base is the host's published index
snapshot, mapped read-only (``matching.snapshot``, built by ``matching.index_builder``, never
here); on top of it each process keeps only the changes since the snapshot's horizon, read
incrementally from the bank's modification times. A newer snapshot is loaded by a background
thread and swapped in at once, so no request waits for a build or a load. Without a snapshot,
or with more changes since it than ``NCII_INDEX_DELTA_MAX``, lookups take the exact database
path (``matching.bank_scan``). Results are always re-checked against the database, so a stale
entry can never produce a false match."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from matching import snapshot
from matching.bank_scan import bank_scan_candidates
from matching.hamming import HammingIndex
from matching.horizon import change_horizon
from matching.models import BankHash
from matching.signal_types import SignalType

logger = logging.getLogger(__name__)


@dataclass
class _Serving:
    snapshot: snapshot.Snapshot
    index: HammingIndex
    watermark: datetime
    behind: bool = False  # more changes since the snapshot than the delta may hold


class BankIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serving: _Serving | None = None
        self._checked_at = 0.0
        self._loader: threading.Thread | None = None
        self._refused: set[str] = set()  # snapshot files found corrupt: not tried again

    @staticmethod
    def _directory() -> Path:
        return Path(settings.NCII_INDEX_DIR)

    def load_latest(self) -> bool:
        """Maps the published snapshot if it is newer than the one serving (synchronously: at
        process start, and in the loader thread). A corrupt or truncated file is refused and
        the process keeps what it had."""
        path = snapshot.current(self._directory())
        serving = self._serving
        if path is None or path.name in self._refused or (serving and serving.snapshot.path == path):
            return False
        try:
            loaded = snapshot.open_snapshot(path)
            fresh = _Serving(loaded, HammingIndex.from_arrays(loaded.arrays, loaded.width), _utc(loaded.horizon))
        except (snapshot.SnapshotError, KeyError, ValueError, TypeError) as exc:
            self._refused.add(path.name)
            logger.error("index snapshot refused, keeping the previous one: %s", exc)
            return False
        self._catch_up(fresh)
        with self._lock:
            self._serving = fresh
        return True

    def warm_up(self) -> None:
        """At process start, before taking traffic (gunicorn, Celery). Never raises: without a
        snapshot, or with the database down, lookups take the database path until one loads."""
        try:
            self.load_latest()
        except Exception:
            logger.exception("could not load the index snapshot at start")

    def _load_in_background(self) -> None:
        try:
            self.load_latest()
        except Exception:
            logger.exception("loading the index snapshot failed")
        finally:
            connections.close_all()  # this thread's own database connection

    def _catch_up(self, serving: _Serving) -> None:
        """Applies the changes since the serving index's watermark, at most
        NCII_INDEX_DELTA_MAX in all; past that the database path answers until a newer
        snapshot is published (the builder is asked for one)."""
        if serving.behind:
            return
        horizon = change_horizon()
        room = settings.NCII_INDEX_DELTA_MAX - serving.index.delta_size
        rows = BankHash.objects.filter(signal_type=SignalType.PDQ, modified_at__gte=serving.watermark)
        changes = list(rows.values_list("id", "value", "status")[: max(room, 0) + 1])
        if len(changes) > room:
            serving.behind = True
            index_build_request()
            return
        serving.index.remove(pk for pk, _, status in changes if status != BankHash.Status.ACTIVE)
        serving.index.upsert((pk, value) for pk, value, status in changes if status == BankHash.Status.ACTIVE)
        serving.watermark = horizon

    def refresh(self, *, force: bool = False) -> None:
        """At most every NCII_INDEX_REFRESH_SECONDS (or now, with ``force``): start loading a
        newer snapshot if one is published, and apply the changes since the last refresh."""
        if not force and time.monotonic() - self._checked_at < settings.NCII_INDEX_REFRESH_SECONDS:
            return
        self._checked_at = time.monotonic()
        self._switch_if_newer()
        with self._lock:
            if self._serving is not None:
                self._catch_up(self._serving)

    def _switch_if_newer(self) -> None:
        path = snapshot.current(self._directory())
        serving = self._serving
        if path is None or path.name in self._refused or (serving and serving.snapshot.path == path):
            return
        if not settings.NCII_INDEX_LOAD_IN_BACKGROUND:
            self.load_latest()
        elif self._loader is None or not self._loader.is_alive():
            self._loader = threading.Thread(target=self._load_in_background, name="index-loader", daemon=True)
            self._loader.start()

    def mapped(self) -> snapshot.Snapshot | None:
        """The snapshot serving now (after starting to load a newer one if it is published):
        the video frame index takes its base from the same mapping."""
        self._switch_if_newer()
        serving = self._serving
        return serving.snapshot if serving else None

    def candidates_many(self, hex_values: list[str], radius: int) -> list[list[int]]:
        self.refresh()
        with self._lock:
            serving = self._serving
            if serving is not None and not serving.behind:
                return [[pk for pk, _ in hits] for hits in serving.index.search_many(hex_values, radius)]
        return bank_scan_candidates(hex_values, radius)

    def candidates(self, hex_value: str, radius: int) -> list[int]:
        return self.candidates_many([hex_value], radius)[0]

    def status(self) -> dict[str, Any]:
        """What the readiness endpoint reports; no database access."""
        serving = self._serving
        if serving is None:
            return {"mode": "database", "snapshot": None, "refused": sorted(self._refused)}
        return {
            "mode": "database" if serving.behind else "snapshot",
            "snapshot": serving.snapshot.path.name,
            "hashes": serving.snapshot.size,
            "age_seconds": round(time.time() - serving.snapshot.horizon, 1),
            "delta": serving.index.delta_size,
            "behind": serving.behind,
            "refused": sorted(self._refused),
        }

    def reset(self) -> None:
        with self._lock:
            self._serving, self._checked_at, self._refused = None, 0.0, set()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def index_build_request() -> None:
    """Asks a worker for a new snapshot (by task name; never run in-process: with no broker
    configured, beat or an operator runs the builder)."""
    from ncii_site.celery import app

    if app.conf.task_always_eager:
        return
    try:
        app.send_task("matching.index_build", kwargs={"if_changed": True})
    except Exception:  # the broker is down: beat's next run builds it anyway
        logger.warning("could not ask for an index build (broker unavailable)")


bank_index = BankIndex()
