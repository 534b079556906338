"""matching.vpdq: python-threatexchange's vPDQ format and brute matcher, without Django."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.hamming import hamming_distance
from matching.signal_types import HashFormatError
from matching.vpdq import Frame, frames_kept, vpdq_compare, vpdq_key, vpdq_parse, vpdq_serialise

PDQ = "e271017d93a6c4e2b8fd7a6b6e2d0a55c2f5e1c7b3a09d4e6f8a1b2c3d4e055c"


def never(_: str) -> bool:
    return False


def test_the_reference_serialisation_round_trips():
    text = json.dumps([f"{PDQ},100,0.0", f"{PDQ.upper()},98,1.0", f"{PDQ},7,12.5"])
    frames = vpdq_parse(text, max_frames=10)
    assert frames == [Frame(PDQ, 100, 0.0), Frame(PDQ, 98, 1.0), Frame(PDQ, 7, 12.5)]
    assert json.loads(vpdq_serialise(frames)) == [f"{PDQ},100,0.0", f"{PDQ},98,1.0", f"{PDQ},7,12.5"]
    assert vpdq_parse(json.loads(text), max_frames=10) == frames  # an array is accepted too
    assert len(vpdq_key(vpdq_serialise(frames))) == 64


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([f"{PDQ},100"], "frame 0: expected 3"),
        ([f"{PDQ},100,0.0", f"{PDQ[:-1]},100,1.0"], "frame 1: the PDQ hash is 64 hex digits"),
        ([f"{PDQ[:-1]}g,100,1.0"], "frame 0: the PDQ hash is 64 hex digits"),
        ([f"{PDQ},101,0.0"], "frame 0: quality 101 is outside 0-100"),
        ([f"{PDQ},high,0.0"], "frame 0: quality is an integer"),
        ([f"{PDQ},50,-1"], "frame 0: the timestamp"),
        ([f"{PDQ},50,nan"], "frame 0: the timestamp"),
        ([f"{PDQ},50,inf"], "frame 0: the timestamp"),
        ([7], "frame 0: a frame is a string"),
        ([], "at least one frame"),
    ],
)
def test_a_malformed_value_names_the_frame_and_the_problem(frames, message):
    with pytest.raises(HashFormatError, match=message):
        vpdq_parse(json.dumps(frames), max_frames=10)


def test_too_many_frames_and_not_json_are_refused():
    with pytest.raises(HashFormatError, match="at most 2 frames; got 3"):
        vpdq_parse([f"{PDQ},50,0"] * 3, max_frames=2)
    with pytest.raises(HashFormatError, match="not JSON"):
        vpdq_parse("[oops", max_frames=2)
    with pytest.raises(HashFormatError, match="JSON array"):
        vpdq_parse('{"a": 1}', max_frames=2)


def test_frames_are_deduplicated_before_the_quality_filter_as_the_reference_does():
    low_then_high = [Frame(PDQ, 10, 0.0), Frame(PDQ, 90, 1.0)]
    assert frames_kept(low_then_high, quality_min=50, refused=never) == []


def reference(query: list[str], target: list[str], radius: int) -> tuple[float, float]:
    """python-threatexchange's match_VPDQ_hash_brute on already kept frames, spelt out."""
    q = sum(any(hamming_distance(a, b) <= radius for b in target) for a in query)
    t = sum(any(hamming_distance(b, a) <= radius for a in query) for b in target)
    return q * 100 / len(query), t * 100 / len(target)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 12), st.integers(1, 12))
def test_percentages_equal_the_reference_brute_matcher(seed, n_query, n_target):
    rng = random.Random(seed)
    base = [format(rng.getrandbits(256), "064x") for _ in range(max(n_query, n_target))]
    query = [format(int(h, 16) ^ rng.getrandbits(40), "064x") for h in base[:n_query]]
    target = base[:n_target]
    result = vpdq_compare(query, target, radius=31)
    assert (result.query_pct, result.target_pct) == reference(query, target, 31)


def test_a_hash_list_cannot_import_a_video_by_its_key():
    from matching.importing import _parse_fields

    with pytest.raises(HashFormatError, match="VideoPDQ is not imported"):
        _parse_fields(1, ["VideoPDQ", PDQ])
