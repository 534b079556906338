"""The VideoPDQ frame index: its base is the snapshot's frame section, mapped (no frame is read
from the database for it); videos banked, withdrawn and reactivated after the build reach it
through the delta; a snapshot without frames, or built at another quality threshold, leaves
the process to read its base from the database."""

from pathlib import Path

import numpy as np
import pytest

from audit.services import Actor
from cases.services import case_withdraw
from matching import snapshot
from matching.frame_index import video_index
from matching.hamming import HammingIndex
from matching.index import bank_index
from matching.index_builder import index_build
from matching.models import VideoFrame
from matching.video import video_input_validate, video_matches
from tests.factories import random_pdq, video_frames
from tests.test_video_pdq import bank_video

pytestmark = pytest.mark.django_db


def _pdqs(frames: list[str]) -> list[str]:
    return [frame[:64] for frame in frames]


def _found(frames: list[str]) -> set[int]:
    return {m.bank_hash.pk for m in video_matches(video_input_validate(frames))}


def test_a_video_banked_before_the_build_is_found_in_the_mapped_snapshot_without_a_database_fill():
    frames = video_frames(4)
    banked = bank_video(frames)
    assert index_build().status == "published"
    # The database's frames now differ from the snapshot's; only the mapped base still has them.
    VideoFrame.objects.filter(bank_hash=banked).update(pdq=random_pdq())
    video_index.refresh(force=True)
    assert video_index.videos_near(_pdqs(frames), 0) == {banked.pk}
    assert video_index.status() == {"base": "snapshot-00000001.idx", "frames": 4, "delta": 0}
    assert bank_index.status()["snapshot"] == "snapshot-00000001.idx"  # one mapping for both


def test_videos_banked_withdrawn_and_reactivated_after_the_build_reach_the_delta():
    kept, withdrawn = video_frames(3), video_frames(3)
    kept_hash, withdrawn_hash = bank_video(kept), bank_video(withdrawn)
    index_build()
    video_index.refresh(force=True)
    later = video_frames(5)
    later_hash = bank_video(later)
    case_withdraw(case_id=withdrawn_hash.case_links.get().case_id, actor=Actor.public())
    video_index.refresh(force=True)
    assert (_found(kept), _found(later), _found(withdrawn)) == ({kept_hash.pk}, {later_hash.pk}, set())
    assert video_index.status() == {"base": "snapshot-00000001.idx", "frames": 8, "delta": 5}
    assert bank_video(withdrawn) == withdrawn_hash  # a new case protects it again
    video_index.refresh(force=True)
    assert _found(withdrawn) == {withdrawn_hash.pk}
    assert video_index.status()["delta"] == 8


def test_a_newer_snapshot_replaces_the_base_and_empties_the_delta():
    bank_video(video_frames(2))
    index_build()
    video_index.refresh(force=True)
    later = video_frames(3)
    later_hash = bank_video(later)
    video_index.refresh(force=True)
    assert video_index.status()["delta"] == 3
    index_build()
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "snapshot-00000002.idx", "frames": 5, "delta": 0}
    assert video_index.videos_near(_pdqs(later), 0) == {later_hash.pk}


def _publish_without_frames(directory: Path) -> None:
    words = np.zeros((0, 4), dtype=np.uint64)
    arrays, width = HammingIndex.build(np.zeros(0, dtype=np.int64), words).base_arrays()
    with snapshot.build_lock(directory) as locked:
        assert locked
        snapshot.publish(directory, arrays, width=width, horizon=0.0)


def test_a_snapshot_without_frames_is_read_and_the_frames_come_from_the_database(settings):
    frames = video_frames(3)
    banked = bank_video(frames)
    _publish_without_frames(Path(settings.NCII_INDEX_DIR))  # a file written before frames were in it
    video_index.refresh(force=True)
    assert bank_index.status()["snapshot"] == "snapshot-00000001.idx"
    assert video_index.status()["base"] == "database"
    assert _found(frames) == {banked.pk}
    assert index_build(if_changed=True).status == "published", "the builder adds the frames"
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "snapshot-00000002.idx", "frames": 3, "delta": 0}


def test_a_snapshot_built_at_another_quality_threshold_is_not_used_for_frames(settings):
    frames = [*video_frames(2), *video_frames(2, quality=55)]
    banked = bank_video(frames)
    index_build()
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "snapshot-00000001.idx", "frames": 4, "delta": 0}
    settings.NCII_VPDQ_QUALITY_MIN = 60
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "database", "frames": 2, "delta": 0}
    assert _found(frames[:2]) == {banked.pk}
    assert index_build(if_changed=True).status == "published"
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "snapshot-00000002.idx", "frames": 2, "delta": 0}


def test_a_delta_past_its_bound_is_served_as_it_is_and_no_lookup_reads_the_bank_again(settings):
    """The builder is asked for a snapshot instead (tests/integration/test_index_worker.py)."""
    settings.NCII_INDEX_DELTA_MAX = 4
    first = video_frames(3)
    first_hash = bank_video(first)
    video_index.refresh(force=True)  # no snapshot: the base is the database's
    later = video_frames(5)
    later_hash = bank_video(later)
    video_index.refresh(force=True)
    VideoFrame.objects.filter(bank_hash=first_hash).update(pdq=random_pdq())
    video_index.refresh(force=True)
    assert video_index.status() == {"base": "database", "frames": 8, "delta": 5}
    assert video_index.videos_near(_pdqs(first), 0) == {first_hash.pk}  # the base as read, not read again
    assert video_index.videos_near(_pdqs(later), 0) == {later_hash.pk}
