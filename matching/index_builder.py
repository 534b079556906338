"""The index builder: the only place a base of the PDQ index is ever built. It reads the active
PDQ hashes, and the frames of the active VideoPDQ videos, up to a change horizon, builds the
multi-index tables of both and publishes them as the next snapshot under ``NCII_INDEX_DIR``
(``matching.snapshot``; the frames as its ``frames.*`` arrays), holding the directory's build
lock. Run by ``manage.py index_build`` (at deploy) and by Celery beat; never in a request."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from django.conf import settings

from matching import snapshot
from matching.frame_index import frame_section, frame_section_current
from matching.hamming import HammingIndex, rows_to_arrays
from matching.horizon import change_horizon
from matching.models import BankHash
from matching.signal_types import SignalType

logger = logging.getLogger(__name__)

READ_CHUNK = 50_000


@dataclass(frozen=True)
class BuildOutcome:
    status: str  # "published", "busy" (another builder holds the lock) or "unchanged"
    path: Path | None = None
    size: int = 0
    seconds: float = 0.0


def index_directory() -> Path:
    return Path(settings.NCII_INDEX_DIR)


def _pdq_rows():  # type: ignore[no-untyped-def]
    return BankHash.objects.filter(signal_type=SignalType.PDQ)


def _indexed_rows():  # type: ignore[no-untyped-def]
    return BankHash.objects.filter(signal_type__in=[SignalType.PDQ, SignalType.VPDQ])


def _active_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Ids and words of the active PDQ hashes, read in chunks (no per-row objects kept)."""
    rows = _pdq_rows().filter(status=BankHash.Status.ACTIVE).values_list("id", "value")
    columns, words = rows_to_arrays(rows.iterator(chunk_size=READ_CHUNK), columns=1, chunk=READ_CHUNK)
    return np.ascontiguousarray(columns[:, 0]), words


def _unchanged_since_current(directory: Path) -> bool:
    path = snapshot.current(directory)
    if path is None:
        return False
    try:
        meta = snapshot.read_header(path)
    except snapshot.SnapshotError:
        return False
    if not frame_section_current(meta):  # an older file, or another quality threshold
        return False
    return not _indexed_rows().filter(modified_at__gte=datetime.fromtimestamp(meta["horizon"], UTC)).exists()


def index_build(
    *, directory: Path | None = None, if_changed: bool = False, on_array: Callable[[str], None] | None = None
) -> BuildOutcome:
    """Builds and publishes the next snapshot, unless another builder is at it (``busy``) or,
    with ``if_changed``, no PDQ hash or video changed since the published one's horizon."""
    directory = directory or index_directory()
    with snapshot.build_lock(directory) as locked:
        if not locked:
            return BuildOutcome("busy")
        if if_changed and _unchanged_since_current(directory):
            return BuildOutcome("unchanged", snapshot.current(directory))
        started = time.perf_counter()
        horizon = change_horizon()  # before the read: a later change is in the readers' delta
        ids, words = _active_arrays()
        arrays, width = HammingIndex.build(ids, words).base_arrays()
        del ids, words
        frames, sections = frame_section()
        path = snapshot.publish(
            directory,
            arrays | frames,
            width=width,
            horizon=horizon.timestamp(),
            on_array=on_array or (lambda name: None),
            sections=sections,
        )
        seconds = time.perf_counter() - started
        count = len(arrays["ids"])
        frame_count = len(frames["frames.ids"])
        logger.info(
            "index snapshot %s published: %d hashes, %d frames in %.1f s", path.name, count, frame_count, seconds
        )
        return BuildOutcome("published", path, count, seconds)
