"""Index snapshots: the base of the PDQ index as plain arrays in one file, mapped read-only by
every process on the host so the operating system keeps one copy of its pages. Pure: numpy
and the standard library, no Django.

A snapshot file is a 4 KiB header, then each array at a page-aligned offset. The header holds
a magic, a JSON description (version, change horizon, chunk width, each array's dtype, shape
and offset) with its CRC-32, and a checksum of everything after the header: per 4 MiB block
the wrapping sum of its 64-bit words, the sums folded with CRC-32. That catches truncation
(the size is checked first), any changed word and any zeroed or garbage page, at memory speed
(~4 GB/s), so a process can verify a 10M-hash snapshot before it answers from it.

The image index's arrays are ``ids``, ``words``, ``offsets`` and ``rows``. Another index adds
its arrays under a prefix and its own header section (the VideoPDQ frames: ``frames.*`` and
``"frames"``, see ``matching.frame_index``). A reader ignores what it does not know, a file
written without them stays readable (the magic is unchanged), and the checksum covers every
array.

Publishing is a rename: a builder writes ``.tmp-*`` and fsyncs it, renames it to
``snapshot-NNNNNNNN.idx``, then atomically replaces ``CURRENT`` (the file's name). A builder
killed at any point leaves the previous snapshot published; builders hold an exclusive
``flock`` on ``build.lock``, so two never publish at once."""

import contextlib
import fcntl
import io
import json
import mmap
import os
import re
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"NCIIIDX1"
HEADER_SIZE = 4096
PAGE = 4096
BLOCK_WORDS = 1 << 19  # 4 MiB checksum blocks
CURRENT = "CURRENT"
LOCK = "build.lock"
NAME = re.compile(r"^snapshot-(\d{8})\.idx$")
_PREFIX = struct.Struct("<8sII")  # magic, CRC-32 of the JSON, its length


class SnapshotError(Exception):
    """A snapshot file that must not be used: missing, truncated, corrupt or of another format."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    version: int
    horizon: float  # epoch seconds: every change before it is in the snapshot
    built_at: float
    width: int
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]  # the whole header: sections beyond the image index's (e.g. "frames") are here

    @property
    def size(self) -> int:
        return len(self.arrays["ids"])


def checksum(data: memoryview | bytes | np.ndarray) -> int:
    words = np.frombuffer(data, dtype="<u8")
    sums = [int(words[i : i + BLOCK_WORDS].sum(dtype=np.uint64)) for i in range(0, len(words), BLOCK_WORDS)]
    return zlib.crc32(np.asarray(sums, dtype="<u8").tobytes())


def _file_checksum(handle: io.BufferedRandom, end: int) -> int:
    """``checksum`` of the file's arrays, read block by block into one buffer: the builder's
    resident memory never holds the file (a mapping would count its pages)."""
    block = bytearray(BLOCK_WORDS * 8)
    sums = []
    handle.seek(HEADER_SIZE)
    for start in range(HEADER_SIZE, end, len(block)):
        view = memoryview(block)[: min(len(block), end - start)]
        filled = 0
        while filled < len(view):
            read = handle.readinto(view[filled:])
            if not read:
                raise SnapshotError("snapshot file shorter than written")
            filled += read
        sums.append(int(np.frombuffer(view, dtype="<u8").sum(dtype=np.uint64)))
    return zlib.crc32(np.asarray(sums, dtype="<u8").tobytes())


def _layout(arrays: dict[str, np.ndarray]) -> tuple[list[dict[str, Any]], int]:
    entries, offset = [], HEADER_SIZE
    for name, array in arrays.items():
        entries.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "offset": offset})
        offset += -(-array.nbytes // PAGE) * PAGE
    return entries, offset


def _header(meta: dict[str, Any]) -> bytes:
    body = json.dumps(meta, sort_keys=True).encode()
    if _PREFIX.size + len(body) > HEADER_SIZE:
        raise SnapshotError("snapshot header too large")
    return (_PREFIX.pack(MAGIC, zlib.crc32(body), len(body)) + body).ljust(HEADER_SIZE, b"\0")


def write(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any], on_array: Callable[[str], None]) -> None:
    """Writes a complete, fsynced snapshot file at ``path`` (not yet published)."""
    entries, end = _layout(arrays)
    with open(path, "w+b") as out:
        out.write(b"\0" * HEADER_SIZE)
        for entry, array in zip(entries, arrays.values(), strict=True):
            out.seek(entry["offset"])
            out.write(np.ascontiguousarray(array).data)
            on_array(str(entry["name"]))
        out.truncate(end)
        out.flush()
        digest = _file_checksum(out, end)
        out.seek(0)
        out.write(_header({**meta, "arrays": entries, "end": end, "checksum": digest}))
        out.flush()
        os.fsync(out.fileno())


def _parse_header(header: bytes, path: Path) -> dict[str, Any]:
    if len(header) < HEADER_SIZE:
        raise SnapshotError(f"{path.name}: truncated header")
    magic, crc, length = _PREFIX.unpack_from(header, 0)
    body = header[_PREFIX.size : _PREFIX.size + length]
    if magic != MAGIC or length > HEADER_SIZE - _PREFIX.size or zlib.crc32(body) != crc:
        raise SnapshotError(f"{path.name}: not a snapshot or a corrupt header")
    return json.loads(body)


def read_header(path: Path) -> dict[str, Any]:
    """The header's description alone (no checksum of the arrays): for cheap questions."""
    try:
        with open(path, "rb") as handle:
            return _parse_header(handle.read(HEADER_SIZE), path)
    except OSError as exc:
        raise SnapshotError(f"{path.name}: cannot read: {exc}") from exc


def _read_meta(mapped: mmap.mmap, path: Path) -> dict[str, Any]:
    meta = _parse_header(mapped[:HEADER_SIZE], path)
    if len(mapped) != meta["end"]:
        raise SnapshotError(f"{path.name}: {len(mapped)} bytes, expected {meta['end']} (truncated?)")
    if checksum(memoryview(mapped)[HEADER_SIZE:]) != meta["checksum"]:
        raise SnapshotError(f"{path.name}: checksum mismatch (corrupt)")
    return meta


def open_snapshot(path: Path) -> Snapshot:
    """Maps a snapshot read-only after checking its header, size and checksum."""
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        raise SnapshotError(f"{path.name}: cannot map: {exc}") from exc
    try:
        meta = _read_meta(mapped, path)
        arrays = {e["name"]: _array(mapped, e) for e in meta["arrays"]}
        return Snapshot(path, meta["version"], meta["horizon"], meta["built_at"], meta["width"], arrays, meta)
    except (SnapshotError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"{path.name}: bad header: {exc}") from exc


def _array(mapped: mmap.mmap, entry: dict[str, Any]) -> np.ndarray:
    count = int(np.prod(entry["shape"]))
    return np.frombuffer(mapped, dtype=entry["dtype"], count=count, offset=entry["offset"]).reshape(entry["shape"])


def current(directory: Path) -> Path | None:
    """The published snapshot's path, or None when there is none."""
    try:
        name = (directory / CURRENT).read_text().strip()
    except OSError:
        return None
    return directory / name if NAME.match(name) else None


def _version_of(path: Path | None) -> int:
    match = NAME.match(path.name) if path else None
    return int(match.group(1)) if match else 0


def _replace(directory: Path, name: str, text: str) -> None:
    temporary = directory / f".tmp-{name}-{os.getpid()}"
    temporary.write_text(text)
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, directory / name)


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    directory: Path,
    arrays: dict[str, np.ndarray],
    *,
    width: int,
    horizon: float,
    keep: int = 2,
    on_array: Callable[[str], None] = lambda name: None,
    sections: dict[str, Any] | None = None,
) -> Path:
    """Writes and publishes the next version. The caller holds ``build_lock``. ``sections``
    go into the header beside the image index's keys (readers that do not know one ignore it)."""
    version = _version_of(current(directory)) + 1
    final = directory / f"snapshot-{version:08d}.idx"
    temporary = directory / f".tmp-{final.name}-{os.getpid()}"
    meta = {**(sections or {}), "version": version, "horizon": horizon, "built_at": time.time(), "width": width}
    write(temporary, arrays, meta, on_array)
    os.rename(temporary, final)
    _replace(directory, CURRENT, final.name)
    _sync_dir(directory)
    _prune(directory, version, keep)
    return final


def _prune(directory: Path, version: int, keep: int) -> None:
    """Older versions beyond ``keep``, and temporaries of builders that died (the caller holds
    the lock, so no other builder is writing). Processes still mapping a removed file keep it."""
    for path in directory.iterdir():
        old = NAME.match(path.name) and int(path.name[9:17]) <= version - keep
        if old or path.name.startswith(".tmp-"):
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def build_lock(directory: Path) -> Iterator[bool]:
    """An exclusive, non-blocking lock on the directory's builder: yields False when another
    builder holds it. The kernel releases it when its holder dies."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
