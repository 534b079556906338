"""The VideoPDQ frame index: frame id -> PDQ of every indexed frame, at NCII_VPDQ_QUALITY_MIN,
of the active bank videos. It runs on the Hamming engine apart from the ImagePDQ index, so a
frame never answers an ImagePDQ lookup.

Its base is the frame section of the host's index snapshot (``frames.*`` arrays in the same
file: the tables, and each frame's video id), taken from the image index once that process has
mapped and verified the file, so every process shares one copy. On top of it a process keeps
only the changes since the snapshot's horizon: each frame of a video modified since (banked,
withdrawn, reactivated) is taken out of the index and put back in a small delta if it still
counts. Without a snapshot that has frames at this process's quality threshold (none yet, an
older file, a threshold changed since the build) the base is read from the database into the
process instead. Past NCII_INDEX_DELTA_MAX changes in the delta the builder is asked for a
snapshot. Answers are candidates: ``matching.video`` compares each video exactly."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from matching.hamming import HammingIndex, rows_to_arrays
from matching.horizon import change_horizon
from matching.index import bank_index, index_build_request
from matching.models import BankHash, VideoFrame
from matching.signal_types import SignalType
from matching.snapshot import Snapshot

logger = logging.getLogger(__name__)

PREFIX = "frames."
READ_CHUNK = 50_000


@dataclass(frozen=True)
class _Base:
    index: HammingIndex
    ids: np.ndarray  # the base's frame ids, sorted (the index's own array)
    videos: np.ndarray  # each base frame's video id, aligned with ids
    source: Path | None  # the snapshot file it is mapped from; None: read from the database
    quality_min: int  # the NCII_VPDQ_QUALITY_MIN it holds the frames at


def frame_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids (sorted), words and video ids of the frames that count, read in chunks."""
    rows = VideoFrame.objects.filter(
        bank_hash__signal_type=SignalType.VPDQ,
        bank_hash__status=BankHash.Status.ACTIVE,
        indexed=True,
        quality__gte=settings.NCII_VPDQ_QUALITY_MIN,
    ).values_list("id", "bank_hash_id", "pdq")
    columns, words = rows_to_arrays(rows.iterator(chunk_size=READ_CHUNK), columns=2, chunk=READ_CHUNK)
    order = np.argsort(columns[:, 0], kind="stable")
    return columns[order, 0], words[order], columns[order, 1]


def _tables(ids: np.ndarray, words: np.ndarray, videos: np.ndarray) -> tuple[dict[str, np.ndarray], int]:
    arrays, width = HammingIndex.build(ids, words).base_arrays()
    return {**arrays, "videos": videos}, width


def frame_section() -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """For the builder: the frame tables' arrays, named ``frames.*``, and their header entry."""
    arrays, width = _tables(*frame_arrays())
    section = {"width": width, "quality_min": settings.NCII_VPDQ_QUALITY_MIN}
    return {PREFIX + name: array for name, array in arrays.items()}, {"frames": section}


def frame_section_current(meta: dict[str, Any]) -> bool:
    """Whether a snapshot header's frame section serves this process's quality threshold."""
    section = meta.get("frames")
    return isinstance(section, dict) and section.get("quality_min") == settings.NCII_VPDQ_QUALITY_MIN


def _from_arrays(arrays: dict[str, np.ndarray], width: int, source: Path | None) -> _Base:
    index = HammingIndex.from_arrays(arrays, width)  # never merges: the rows stay aligned with videos
    return _Base(index, arrays["ids"], arrays["videos"], source, settings.NCII_VPDQ_QUALITY_MIN)


def _base_from_snapshot(loaded: Snapshot) -> _Base | None:
    if not frame_section_current(loaded.meta):
        return None
    arrays = {name.removeprefix(PREFIX): a for name, a in loaded.arrays.items() if name.startswith(PREFIX)}
    return _from_arrays(arrays, loaded.meta["frames"]["width"], loaded.path)


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class VideoFrameIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._base: _Base | None = None
            self._delta_videos: dict[int, int] = {}  # frame id -> video id of the delta's frames
            self._watermark = _utc(0)
            self._checked_at = 0.0
            self._build_asked = False

    def _take(self, base: _Base, watermark: datetime) -> None:
        self._base, self._delta_videos, self._watermark, self._build_asked = base, {}, watermark, False

    def _rebase(self) -> _Base:
        """A newer snapshot's frame section if the image index has mapped one; the database's
        frames when there is no base at this quality threshold and no usable snapshot. The base
        in use is replaced only once its successor is read: a failed read keeps it."""
        base = self._base
        if base is not None and base.quality_min != settings.NCII_VPDQ_QUALITY_MIN:
            base = None  # held at another threshold
        loaded = bank_index.mapped()
        if loaded is not None and (base is None or base.source != loaded.path):
            fresh = _base_from_snapshot(loaded)
            if fresh is not None:
                self._take(fresh, _utc(loaded.horizon))
                return fresh
        if base is None:
            horizon = change_horizon()  # before the read: a later change is in the delta
            base = _from_arrays(*_tables(*frame_arrays()), None)
            self._take(base, horizon)
        return base

    def _ask_for_a_snapshot_when_outgrown(self, base: _Base) -> None:
        """Past NCII_INDEX_DELTA_MAX changes the builder is asked (once per base) for a snapshot,
        which empties the delta; no request reads the whole bank again."""
        if base.index.delta_size > settings.NCII_INDEX_DELTA_MAX and not self._build_asked:
            self._build_asked = True
            index_build_request()

    def _catch_up(self, base: _Base) -> None:
        """Every indexed frame of the videos modified since the watermark leaves the index; those
        that still count (at the quality threshold, of an active video) come back in the delta."""
        horizon = change_horizon()
        rows = VideoFrame.objects.filter(
            bank_hash__signal_type=SignalType.VPDQ, bank_hash__modified_at__gte=self._watermark, indexed=True
        ).values_list("id", "bank_hash_id", "pdq", "quality", "bank_hash__status")
        minimum, active = settings.NCII_VPDQ_QUALITY_MIN, BankHash.Status.ACTIVE
        live, gone = [], []
        for frame_id, video_id, pdq, quality, status in rows.iterator(chunk_size=10_000):
            if quality >= minimum and status == active:
                live.append((frame_id, video_id, pdq))
            else:
                gone.append(frame_id)
        base.index.remove(gone)
        for frame_id in gone:
            self._delta_videos.pop(frame_id, None)
        base.index.upsert((frame_id, pdq) for frame_id, _, pdq in live)
        self._delta_videos.update((frame_id, video_id) for frame_id, video_id, _ in live)
        self._watermark = horizon
        self._ask_for_a_snapshot_when_outgrown(base)

    def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._checked_at < settings.NCII_INDEX_REFRESH_SECONDS:
            return
        with self._lock:
            self._catch_up(self._rebase())
            self._checked_at = time.monotonic()  # after success: a failed refresh is tried again

    def warm_up(self) -> None:
        """At process start, after the image index mapped the snapshot and before taking
        traffic. Never raises: a failure leaves it to the first lookup."""
        try:
            self.refresh(force=True)
        except Exception:
            logger.exception("could not load the video frame index at start")

    def videos_near(self, pdqs: list[str], radius: int) -> set[int]:
        """Ids of bank videos with a frame within ``radius`` of any of ``pdqs`` (one batch)."""
        self.refresh()
        with self._lock:
            base = self._base
            assert base is not None  # the refresh raised otherwise
            hits = {frame_id for found in base.index.search_many(pdqs, radius) for frame_id, _ in found}
            return {self._video_of(base, frame_id) for frame_id in hits}

    def _video_of(self, base: _Base, frame_id: int) -> int:
        video = self._delta_videos.get(frame_id)
        return video if video is not None else int(base.videos[np.searchsorted(base.ids, frame_id)])

    def status(self) -> dict[str, Any]:
        """Where the base comes from and how big base and delta are; no database access."""
        base = self._base
        if base is None:
            return {"base": None}
        source = base.source.name if base.source else "database"
        return {"base": source, "frames": len(base.index), "delta": base.index.delta_size}


video_index = VideoFrameIndex()
