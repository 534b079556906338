"""VideoPDQ (vPDQ) in the bank: checking a value, storing its frames, and matching a query
video against the bank's videos.

The frames of active bank videos live in a frame index on the Hamming engine
(``matching.hamming``), separate from the ImagePDQ index and snapshot, so a frame is never an
ImagePDQ in lookups or in the feed. Each process keeps it current the way it keeps the image
index's delta: by the bank's modification times (a change to a video touches its bank hash).
A query's kept frames are looked up in one batch; every bank video with a frame near one of
them is then compared exactly, from the database, so a stale index can never invent a match."""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.conf import settings

from matching.degenerate import DegenerateHash, pdq_degenerate_reason
from matching.hamming import HammingIndex, hexes_to_words
from matching.horizon import change_horizon
from matching.models import BankHash, VideoFrame
from matching.signal_types import SignalType
from matching.vpdq import Frame, frames_kept, vpdq_compare, vpdq_key, vpdq_parse, vpdq_serialise

logger = logging.getLogger(__name__)

UNMATCHABLE = "VideoPDQ with no frame that can be matched (all blank, trivial or below the quality threshold)"


@dataclass(frozen=True)
class VideoInput:
    key: str  # the bank's value: SHA-256 of ``canonical``
    canonical: str
    frames: list[Frame]
    kept: list[Frame]  # the frames that count in matching


@dataclass(frozen=True)
class VideoBankMatch:
    bank_hash: BankHash
    query_pct: float
    target_pct: float


def _degenerate(pdq: str) -> bool:
    return pdq_degenerate_reason(pdq) is not None


def video_input_validate(value: object) -> VideoInput:
    """A vPDQ value checked and made canonical, or an error naming the problem. Blank and
    trivial frames are kept in the value but never indexed or counted; a video with no frame
    left to match is refused as degenerate."""
    frames = vpdq_parse(value, max_frames=settings.NCII_VPDQ_MAX_FRAMES)
    kept = frames_kept(frames, quality_min=settings.NCII_VPDQ_QUALITY_MIN, refused=_degenerate)
    if not kept:
        minimum = settings.NCII_VPDQ_QUALITY_MIN
        detail = f"none of its {len(frames)} frames is both of quality {minimum} or more and a real picture's hash"
        raise DegenerateHash(f"Refused: {detail}; it would match blank videos.", reason=UNMATCHABLE)
    canonical = vpdq_serialise(frames)
    return VideoInput(vpdq_key(canonical), canonical, frames, kept)


def video_frames_store(bank_hash: BankHash, frames: list[Frame]) -> None:
    """The frames of a newly banked video (the caller's transaction)."""
    seen: set[str] = set()
    rows = []
    for position, frame in enumerate(frames):
        indexed = frame.pdq not in seen and not _degenerate(frame.pdq)
        seen.add(frame.pdq)
        rows.append(VideoFrame(bank_hash=bank_hash, position=position, pdq=frame.pdq, **_attrs(frame, indexed)))
    VideoFrame.objects.bulk_create(rows)


def _attrs(frame: Frame, indexed: bool) -> dict[str, object]:
    return {"quality": frame.quality, "timestamp": frame.timestamp, "indexed": indexed}


class VideoFrameIndex:
    """Frame id -> PDQ of every indexed frame (at the quality threshold) of active videos."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._index = HammingIndex()
            self._video_of: dict[int, int] = {}
            self._frames_of: dict[int, set[int]] = {}
            self._watermark = datetime(1970, 1, 1, tzinfo=UTC)
            self._checked_at = 0.0

    def refresh(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._checked_at < settings.NCII_INDEX_REFRESH_SECONDS:
            return
        with self._lock:
            self._checked_at = time.monotonic()
            horizon = change_horizon()
            changed = BankHash.objects.filter(signal_type=SignalType.VPDQ, modified_at__gte=self._watermark)
            statuses = dict(changed.values_list("id", "status"))
            for video_id in statuses:
                gone = self._frames_of.pop(video_id, set())
                self._index.remove(gone)
                for frame_id in gone:
                    self._video_of.pop(frame_id, None)
            # A join, not the ids (a first fill may name more videos than SQLite takes variables).
            frames = VideoFrame.objects.filter(
                bank_hash__signal_type=SignalType.VPDQ,
                bank_hash__status=BankHash.Status.ACTIVE,
                bank_hash__modified_at__gte=self._watermark,
                indexed=True,
                quality__gte=settings.NCII_VPDQ_QUALITY_MIN,
            ).values_list("id", "bank_hash_id", "pdq")
            rows = list(frames.iterator(chunk_size=10_000))
            if len(self._index) == 0 and rows:  # the first fill: one bulk build, no delta
                ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                self._index = HammingIndex.build(ids, hexes_to_words([r[2] for r in rows]))
            else:
                self._index.upsert((frame_id, pdq) for frame_id, _, pdq in rows)
            for frame_id, video_id, _ in rows:
                self._video_of[frame_id] = video_id
                self._frames_of.setdefault(video_id, set()).add(frame_id)
            self._watermark = horizon

    def warm_up(self) -> None:
        """At process start, before taking traffic (as the image index's snapshot is mapped),
        so no request fills it. Never raises: a failure leaves it to the first lookup."""
        try:
            self.refresh(force=True)
        except Exception:
            logger.exception("could not fill the video frame index at start")

    def videos_near(self, pdqs: list[str], radius: int) -> set[int]:
        """Ids of bank videos with a frame within ``radius`` of any of ``pdqs`` (one batch)."""
        self.refresh()
        with self._lock:
            hits = self._index.search_many(pdqs, radius)
            return {self._video_of[frame_id] for found in hits for frame_id, _ in found}


video_index = VideoFrameIndex()


def bank_frames_kept(video_ids: set[int]) -> dict[int, list[str]]:
    """Each video's frames that count in matching, read from the database."""
    rows = VideoFrame.objects.filter(
        bank_hash_id__in=video_ids, indexed=True, quality__gte=settings.NCII_VPDQ_QUALITY_MIN
    ).values_list("bank_hash_id", "pdq")
    out: dict[int, list[str]] = {pk: [] for pk in video_ids}
    for video_id, pdq in rows:
        out[video_id].append(pdq)
    return out


def video_matches(video: VideoInput, *, force_refresh: bool = False) -> list[VideoBankMatch]:
    """Active bank videos this video matches (query % and target % at their thresholds),
    best query share first, then target share, then id."""
    if force_refresh:
        video_index.refresh(force=True)
    radius = settings.NCII_PDQ_MATCH_DISTANCE
    query = [f.pdq for f in video.kept]
    near = video_index.videos_near(query, radius)
    banked = BankHash.objects.filter(signal_type=SignalType.VPDQ, status=BankHash.Status.ACTIVE).in_bulk(near)
    targets = bank_frames_kept(set(banked))
    found = []
    for pk, bank_hash in banked.items():
        result = vpdq_compare(query, targets[pk], radius=radius)
        if _passes(result.query_pct, result.target_pct):
            found.append(VideoBankMatch(bank_hash, result.query_pct, result.target_pct))
    return sorted(found, key=lambda m: (-m.query_pct, -m.target_pct, m.bank_hash.pk))


def _passes(query_pct: float, target_pct: float) -> bool:
    return query_pct >= settings.NCII_VPDQ_QUERY_MATCH_PCT and target_pct >= settings.NCII_VPDQ_TARGET_MATCH_PCT


def video_match_best(video: VideoInput) -> VideoBankMatch | None:
    """For intake: a miss is tried again on a freshly refreshed index (a video banked a
    moment ago must not be refused)."""
    matches = video_matches(video) or video_matches(video, force_refresh=True)
    return matches[0] if matches else None
