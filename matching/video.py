"""VideoPDQ (vPDQ) in the bank: checking a value, storing its frames, and matching a query
video against the bank's videos.

The frames of active bank videos live in their own frame index (``matching.frame_index``: its
base in the host's index snapshot, then each process's changes since, by the bank's
modification times; a change to a video touches its bank hash), so a frame is never an
ImagePDQ in lookups or in the feed. A query's kept frames are looked up in one batch; every
bank video with a frame near one of them is then compared exactly, from the database, so a
stale index can never invent a match."""

from dataclasses import dataclass

from django.conf import settings

from matching.degenerate import DegenerateHash, pdq_degenerate_reason
from matching.frame_index import video_index
from matching.models import BankHash, VideoFrame
from matching.signal_types import SignalType
from matching.vpdq import Frame, frames_kept, vpdq_compare, vpdq_key, vpdq_parse, vpdq_serialise

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
