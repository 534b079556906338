"""The reference's brute vPDQ matcher (python-threatexchange vpdq_brute_matcher), rewritten for
the tests: dedupe, keep frames of quality >= 50, a frame matches when some frame of the other
video is within 31 bits; the videos match when >= 80 % of the query's frames do."""

import json
from dataclasses import dataclass

QUALITY_THRESHOLD = 50
DISTANCE_THRESHOLD = 31
QUERY_MATCH_PERCENT = 80.0


@dataclass(frozen=True)
class Frame:
    pdq: int
    quality: int
    timestamp: float


def parse(value: str) -> list[Frame]:
    """A vPDQ value: a JSON array of "<64 hex>,<quality>,<seconds>"."""
    frames = []
    for entry in json.loads(value):
        pdq_hex, quality, timestamp = entry.split(",")
        assert len(pdq_hex) == 64 and 0 <= int(quality) <= 100 and float(timestamp) >= 0, entry
        frames.append(Frame(int(pdq_hex, 16), int(quality), float(timestamp)))
    return frames


def usable(frames: list[Frame]) -> list[Frame]:
    seen: set[int] = set()
    kept = []
    for frame in frames:
        if frame.pdq not in seen:
            seen.add(frame.pdq)
            kept.append(frame)
    return [f for f in kept if f.quality >= QUALITY_THRESHOLD]


def percent_in(query: list[Frame], other: list[Frame]) -> float:
    if not query:
        return 0.0
    found = sum(any((q.pdq ^ o.pdq).bit_count() <= DISTANCE_THRESHOLD for o in other) for q in query)
    return found * 100 / len(query)


def match_percents(query: list[Frame], compared: list[Frame]) -> tuple[float, float]:
    query, compared = usable(query), usable(compared)
    return percent_in(query, compared), percent_in(compared, query)


def matches(query: list[Frame], compared: list[Frame]) -> bool:
    return match_percents(query, compared)[0] >= QUERY_MATCH_PERCENT
