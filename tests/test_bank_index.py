"""Each process's PDQ index: answers from the exact database path until a snapshot is loaded,
then from the mapped snapshot plus the changes since its horizon; switches to a newer
snapshot at its next refresh; refuses a corrupt one and keeps the previous; never builds a
base itself (past NCII_INDEX_DELTA_MAX changes it falls back to the database path)."""

import time
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from matching import snapshot
from matching.bank_scan import bank_scan_candidates
from matching.hamming import hamming_distance
from matching.index import bank_index
from matching.index_builder import index_build
from matching.models import BankHash
from matching.selectors import bank_matches
from tests.factories import BankHashFactory, flip_bits, random_pdq

pytestmark = pytest.mark.django_db


def _brute(values: dict[int, str], query: str, radius: int) -> list[int]:
    return sorted(pk for pk, value in values.items() if hamming_distance(value, query) <= radius)


def _near(anchor: str, rng: np.random.Generator) -> str:
    bits = rng.choice(256, int(rng.integers(0, 45)), replace=False)
    return format(int(anchor, 16) ^ sum(1 << int(b) for b in bits), "064x")


def _bank(n: int, anchor: str, seed: int = 5) -> dict[int, str]:
    """Active PDQ hashes, half of them at every distance 0..44 from ``anchor``; some withdrawn."""
    rng = np.random.default_rng(seed)
    near = {_near(anchor, rng) for _ in range(n // 2)}
    rows = [BankHashFactory(value=value) for value in near]
    rows += [BankHashFactory() for _ in range(n - n // 2)]
    withdrawn = rows[:: max(1, n // 7)]
    BankHash.objects.filter(pk__in=[r.pk for r in withdrawn]).update(status=BankHash.Status.WITHDRAWN)
    return {r.pk: r.value for r in rows if r not in withdrawn}


@pytest.mark.parametrize("radius", [0, 10, 31, 40])
def test_the_database_path_equals_brute_force(radius):
    anchor = random_pdq()
    values = _bank(60, anchor)
    queries = [anchor, flip_bits(anchor, 20), random_pdq()]
    found = bank_scan_candidates(queries, radius)
    assert [sorted(ids) for ids in found] == [_brute(values, q, radius) for q in queries]


def test_without_a_snapshot_lookups_are_exact_from_the_database():
    hit = BankHashFactory()
    assert [m.bank_hash for m in bank_matches(signal_type="ImagePDQ", value=flip_bits(hit.value, 31))] == [hit]
    assert bank_index.status()["mode"] == "database"
    assert not list(Path(bank_index._directory()).glob("snapshot-*")), "no process builds a base"


def test_snapshot_plus_changes_since_its_horizon_equal_brute_force():
    anchor = random_pdq()
    values = _bank(40, anchor)
    assert index_build().status == "published"
    assert bank_index.load_latest()
    gone = BankHash.objects.filter(pk__in=list(values)[:3])
    gone.update(status=BankHash.Status.WITHDRAWN, modified_at=timezone.now())
    for pk in list(values)[:3]:
        del values[pk]
    added = BankHashFactory(value=flip_bits(anchor, 7))
    values[added.pk] = added.value
    for radius in (0, 12, 31):
        assert sorted(bank_index.candidates(anchor, radius)) == _brute(values, anchor, radius)
    status = bank_index.status()
    assert status["mode"] == "snapshot" and status["delta"] == 1 and status["snapshot"] == "snapshot-00000001.idx"


def test_a_newer_snapshot_is_taken_at_the_next_refresh():
    first = BankHashFactory()
    index_build()
    bank_index.load_latest()
    second = BankHashFactory()
    assert bank_index.candidates(second.value, 0) == [second.pk]
    assert bank_index.status()["delta"] == 1
    index_build()
    assert bank_index.candidates(first.value, 0) == [first.pk]  # the refresh switched
    assert bank_index.status() | {"age_seconds": 0} == bank_index.status() | {
        "snapshot": "snapshot-00000002.idx",
        "delta": 0,
        "hashes": 2,
        "age_seconds": 0,
    }


def test_a_corrupt_newer_snapshot_is_refused_and_the_previous_kept():
    kept = BankHashFactory()
    index_build()
    bank_index.load_latest()
    later = BankHashFactory()
    newer = index_build().path
    assert newer is not None
    raw = bytearray(newer.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    newer.write_bytes(raw)
    assert bank_index.candidates(later.value, 0) == [later.pk]
    assert bank_index.candidates(kept.value, 0) == [kept.pk]
    status = bank_index.status()
    assert status["snapshot"] == "snapshot-00000001.idx" and status["refused"] == ["snapshot-00000002.idx"]


def test_past_the_delta_limit_the_database_path_answers_and_nothing_is_built_here(settings):
    settings.NCII_INDEX_DELTA_MAX = 3
    index_build()
    bank_index.load_latest()
    bulk = [BankHashFactory() for _ in range(5)]
    assert bank_index.candidates(bulk[-1].value, 0) == [bulk[-1].pk]
    assert bank_index.status()["mode"] == "database" and bank_index.status()["behind"]
    assert [p.name for p in Path(settings.NCII_INDEX_DIR).glob("snapshot-*")] == ["snapshot-00000001.idx"]
    index_build()  # the builder catches up; the process takes it at its next refresh
    assert bank_index.candidates(bulk[0].value, 0) == [bulk[0].pk]
    assert bank_index.status()["mode"] == "snapshot" and bank_index.status()["delta"] == 0


def test_the_builder_skips_when_nothing_changed_and_refuses_to_race(settings):
    BankHashFactory()
    call_command("index_build")
    assert index_build(if_changed=True).status == "unchanged"
    BankHashFactory()
    assert index_build(if_changed=True).status == "published"
    with snapshot.build_lock(Path(settings.NCII_INDEX_DIR)), pytest.raises(CommandError, match="Another builder"):
        call_command("index_build")
    assert snapshot.current(Path(settings.NCII_INDEX_DIR)).name == "snapshot-00000002.idx"


@pytest.mark.django_db(transaction=True)
def test_a_request_never_waits_for_a_load_a_background_thread_swaps_it_in(settings):
    settings.NCII_INDEX_LOAD_IN_BACKGROUND = True
    banked = BankHashFactory()
    index_build()
    assert bank_index.candidates(banked.value, 0) == [banked.pk]  # answered at once (any path)
    deadline = time.monotonic() + 120
    while bank_index.status()["mode"] != "snapshot":  # the loader thread's observable result
        assert time.monotonic() < deadline, "the loader thread never swapped the snapshot in"
        time.sleep(0.05)
    assert bank_index.candidates(banked.value, 0) == [banked.pk]


def test_video_frames_never_answer_image_lookups_on_any_path(settings):
    """Frames near the anchor are banked as a VideoPDQ: the database path, the snapshot and
    its delta still give exactly the ImagePDQ hashes, and the frame index only the video."""
    from matching.video import video_input_validate, video_matches
    from tests.test_video_pdq import bank_video

    anchor = random_pdq()
    values = _bank(20, anchor)
    frames = [f"{flip_bits(anchor, d)},90,{d}.0" for d in (0, 3, 9)]
    frames = [f for f in frames if video_input_validate([f]).kept]  # drop any unbalanced by the flip
    video = bank_video(frames)
    assert [sorted(ids) for ids in bank_scan_candidates([anchor], 31)] == [_brute(values, anchor, 31)]
    assert index_build().status == "published" and bank_index.load_latest()
    late = bank_video([f"{flip_bits(anchor, 1)},90,0.0"])
    assert sorted(bank_index.candidates(anchor, 31)) == _brute(values, anchor, 31)
    image_hits = {m.bank_hash.signal_type for m in bank_matches(signal_type="ImagePDQ", value=anchor)}
    assert image_hits <= {"ImagePDQ"}
    found = {m.bank_hash.pk for m in video_matches(video_input_validate([f"{anchor},90,0.0"]))}
    assert found == {video.pk, late.pk}
