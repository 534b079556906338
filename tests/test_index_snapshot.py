"""Snapshot files: what is published is exactly what was built; a corrupt, truncated or foreign
file is refused; a builder killed mid-write leaves the old snapshot published; two builders
never publish at once. Pure (no database)."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from matching import snapshot
from matching.hamming import HammingIndex

ROOT = Path(__file__).resolve().parent.parent


def _arrays(n: int = 3000, seed: int = 1) -> tuple[dict[str, np.ndarray], int]:
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    return HammingIndex.build(np.arange(n, dtype=np.int64) * 2, words).base_arrays()


def _publish(directory: Path, seed: int = 1) -> Path:
    arrays, width = _arrays(seed=seed)
    with snapshot.build_lock(directory) as locked:
        assert locked
        return snapshot.publish(directory, arrays, width=width, horizon=1234.5)


def test_published_snapshot_maps_the_built_arrays(tmp_path):
    arrays, width = _arrays()
    path = _publish(tmp_path)
    assert snapshot.current(tmp_path) == path and path.name == "snapshot-00000001.idx"
    loaded = snapshot.open_snapshot(path)
    assert (loaded.version, loaded.horizon, loaded.width, loaded.size) == (1, 1234.5, width, 3000)
    for name, array in arrays.items():
        assert np.array_equal(loaded.arrays[name], array) and loaded.arrays[name].dtype == array.dtype
    assert _publish(tmp_path).name == "snapshot-00000002.idx"


def test_versions_beyond_two_are_pruned(tmp_path):
    for _ in range(4):
        _publish(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("snapshot-*")) == ["snapshot-00000003.idx", "snapshot-00000004.idx"]


@pytest.mark.parametrize("where", [0.0, 0.3, 0.6, 0.999])
def test_a_changed_byte_anywhere_in_the_arrays_is_refused(tmp_path, where):
    path = _publish(tmp_path)
    raw = bytearray(path.read_bytes())
    position = snapshot.HEADER_SIZE + int((len(raw) - snapshot.HEADER_SIZE - 1) * where)
    raw[position] ^= 0x10
    path.write_bytes(raw)
    with pytest.raises(snapshot.SnapshotError, match="checksum"):
        snapshot.open_snapshot(path)


def test_a_corrupt_header_is_refused(tmp_path):
    path = _publish(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[40] ^= 0x01  # inside the JSON description
    path.write_bytes(raw)
    with pytest.raises(snapshot.SnapshotError, match="header"):
        snapshot.open_snapshot(path)


@pytest.mark.parametrize("keep", [0, 100, snapshot.HEADER_SIZE, snapshot.HEADER_SIZE + 4096, -1])
def test_a_truncated_file_is_refused(tmp_path, keep):
    path = _publish(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:keep])
    with pytest.raises(snapshot.SnapshotError):
        snapshot.open_snapshot(path)


def test_a_foreign_file_and_a_bad_pointer_are_refused(tmp_path):
    (tmp_path / "snapshot-00000001.idx").write_bytes(b"x" * 10_000)
    with pytest.raises(snapshot.SnapshotError, match="not a snapshot"):
        snapshot.open_snapshot(tmp_path / "snapshot-00000001.idx")
    (tmp_path / "CURRENT").write_text("../../etc/passwd")
    assert snapshot.current(tmp_path) is None
    assert snapshot.current(tmp_path / "missing") is None


def test_two_builders_never_publish_at_once(tmp_path):
    with snapshot.build_lock(tmp_path) as first, snapshot.build_lock(tmp_path) as second:
        assert first and not second
    with snapshot.build_lock(tmp_path) as again:
        assert again


_STALLED_BUILDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np
    from matching import snapshot
    from matching.hamming import HammingIndex

    directory = Path(sys.argv[1])
    words = np.random.default_rng(2).integers(0, 2**64, size=(3000, 4), dtype=np.uint64)
    arrays, width = HammingIndex.build(np.arange(3000), words).base_arrays()

    def stall(name):
        if name == "words":
            print("writing", flush=True)
            time.sleep(600)

    with snapshot.build_lock(directory) as locked:
        assert locked
        snapshot.publish(directory, arrays, width=width, horizon=2.0, on_array=stall)
    """
)


def test_a_builder_killed_mid_write_leaves_the_old_snapshot_published(tmp_path):
    old = _publish(tmp_path)
    builder = subprocess.Popen(
        [sys.executable, "-c", _STALLED_BUILDER, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert builder.stdout is not None and builder.stdout.readline().strip() == "writing"
        assert list(tmp_path.glob(".tmp-*")), "the builder is half-way through its file"
        with snapshot.build_lock(tmp_path) as locked:
            assert not locked, "a second builder must not publish while the first holds the lock"
    finally:
        os.kill(builder.pid, signal.SIGKILL)
        builder.wait()
    assert snapshot.current(tmp_path) == old
    assert snapshot.open_snapshot(old).horizon == 1234.5
    newer = _publish(tmp_path, seed=3)  # the kernel released the dead builder's lock
    assert newer.name == "snapshot-00000002.idx" and not list(tmp_path.glob(".tmp-*"))


def test_further_sections_round_trip_and_the_checksum_covers_their_arrays(tmp_path):
    arrays, width = _arrays()
    frames, _ = _arrays(n=500, seed=4)
    named = arrays | {f"frames.{name}": array for name, array in frames.items()}
    with snapshot.build_lock(tmp_path):
        path = snapshot.publish(tmp_path, named, width=width, horizon=1.0, sections={"frames": {"width": 9}})
    loaded = snapshot.open_snapshot(path)
    assert loaded.meta["frames"] == {"width": 9} and loaded.size == 3000
    assert np.array_equal(loaded.arrays["frames.words"], frames["words"])
    entry = next(e for e in loaded.meta["arrays"] if e["name"] == "frames.words")
    raw = bytearray(path.read_bytes())
    raw[entry["offset"] + 100] ^= 0x01
    path.write_bytes(raw)
    with pytest.raises(snapshot.SnapshotError, match="checksum"):
        snapshot.open_snapshot(path)
