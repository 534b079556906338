"""vPDQ video hashes as python-threatexchange serialises and matches them. Pure: no Django.

A value is a JSON array of ``"<64 hex pdq>,<quality 0-100>,<timestamp seconds>"`` strings,
one per sampled frame. Two videos are compared like the reference's brute matcher: frames
are de-duplicated by hash, frames below the quality threshold dropped, and a frame matches
when some kept frame of the other video is within the distance; each side's percentage is
its matched frames over its kept frames."""

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from matching.hamming import hexes_to_words
from matching.signal_types import HashFormatError

PDQ_HEX = 64


@dataclass(frozen=True)
class Frame:
    pdq: str
    quality: int
    timestamp: float

    def __str__(self) -> str:
        return f"{self.pdq},{self.quality},{self.timestamp:.3}"


@dataclass(frozen=True)
class VideoMatch:
    query_pct: float
    target_pct: float


def _frame_parse(i: int, raw: object) -> Frame:
    if not isinstance(raw, str):
        raise HashFormatError(f"frame {i}: a frame is a string '<pdq hex>,<quality>,<seconds>'.")
    parts = raw.split(",")
    if len(parts) != 3:
        raise HashFormatError(f"frame {i}: expected 3 comma-separated parts, got {len(parts)}.")
    pdq, quality_text, time_text = (p.strip() for p in parts)
    pdq = pdq.lower()
    if len(pdq) != PDQ_HEX or any(c not in "0123456789abcdef" for c in pdq):
        raise HashFormatError(f"frame {i}: the PDQ hash is {PDQ_HEX} hex digits.")
    try:
        quality, timestamp = int(quality_text), float(time_text)
    except ValueError:
        raise HashFormatError(f"frame {i}: quality is an integer and the timestamp a number of seconds.") from None
    if not 0 <= quality <= 100:
        raise HashFormatError(f"frame {i}: quality {quality} is outside 0-100.")
    if not (timestamp >= 0 and np.isfinite(timestamp)):
        raise HashFormatError(f"frame {i}: the timestamp must be a finite number of seconds, at least 0.")
    return Frame(pdq, quality, timestamp)


def vpdq_parse(value: object, *, max_frames: int) -> list[Frame]:
    """The frames of a vPDQ value (its JSON text, or the array itself), or HashFormatError
    naming the first bad frame."""
    frames = value
    if isinstance(value, str):
        try:
            frames = json.loads(value)
        except (ValueError, RecursionError):
            raise HashFormatError("A VideoPDQ value is a JSON array of frame strings; this is not JSON.") from None
    if not isinstance(frames, list):
        raise HashFormatError("A VideoPDQ value is a JSON array of frame strings.")
    if not frames:
        raise HashFormatError("A VideoPDQ value needs at least one frame.")
    if len(frames) > max_frames:
        raise HashFormatError(f"A VideoPDQ value has at most {max_frames} frames; got {len(frames)}.")
    return [_frame_parse(i, raw) for i, raw in enumerate(frames)]


def vpdq_serialise(frames: Sequence[Frame]) -> str:
    """The canonical text: exactly the reference's ``vpdq_to_json`` (its separators, its
    three-significant-digit timestamps), frames in the given order."""
    return json.dumps([str(f) for f in frames])


def vpdq_key(canonical: str) -> str:
    """The bank's key of a video: SHA-256 hex of its canonical text (64 characters)."""
    return hashlib.sha256(canonical.encode()).hexdigest()


def frames_kept(frames: Sequence[Frame], *, quality_min: int, refused: Callable[[str], bool]) -> list[Frame]:
    """De-duplicated by hash (first kept), then those at or above ``quality_min`` and not
    ``refused`` (degenerate): the frames that count in a comparison."""
    seen: set[str] = set()
    unique = []
    for frame in frames:
        if frame.pdq not in seen:
            seen.add(frame.pdq)
            unique.append(frame)
    return [f for f in unique if f.quality >= quality_min and not refused(f.pdq)]


def _matched(a: list[str], b: list[str], radius: int) -> int:
    """How many hashes of ``a`` have some hash of ``b`` within ``radius``."""
    if not a or not b:
        return 0
    words_b = hexes_to_words(b)
    return sum(bool((np.bitwise_count(words_b ^ row).sum(axis=1) <= radius).any()) for row in hexes_to_words(a))


def vpdq_compare(query: list[str], target: list[str], *, radius: int) -> VideoMatch:
    """Percentages of kept, de-duplicated frame hashes (as ``frames_kept`` gives) that match."""
    if not query or not target:
        return VideoMatch(0.0, 0.0)
    q = _matched(query, target, radius) * 100 / len(query)
    t = _matched(target, query, radius) * 100 / len(target)
    return VideoMatch(q, t)


def vpdq_duration(frames: Sequence[Frame]) -> float:
    return max((f.timestamp for f in frames), default=0.0)
