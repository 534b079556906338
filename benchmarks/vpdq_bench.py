"""VideoPDQ costs: checking a value (parse, canonical text, degenerate frames), filling a
process's frame index from the bank, and a lookup (one batch over the frame index, then the
exact comparison with each candidate video).

    python -m benchmarks.vpdq_bench [--videos 2000] [--frames 120] [--starts 3]

Then a process's start, ``--starts`` times each way, in fresh processes as gunicorn's
``post_worker_init`` runs it (image index, then frame index) and one lookup: with no snapshot
(the frames read from the database into the process) and with the snapshot built from the
bank (its frame section mapped). It prints the seconds and what the process's memory grew by:
RSS, and its anonymous part (private: no other process can share it; the mapped snapshot's
pages are the page cache's, one copy per host).

Uses its own SQLite file (or DATABASE_URL if set)."""

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/vpdq_bench.sqlite3")
os.environ.setdefault("NCII_INDEX_DIR", tempfile.mkdtemp())  # the timings below: no snapshot

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from matching.index_builder import index_build  # noqa: E402
from matching.models import BankHash, VideoFrame  # noqa: E402
from matching.video import video_index, video_input_validate, video_matches  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def balanced(rng: random.Random) -> str:
    return format(sum(1 << b for b in rng.sample(range(256), 128)), "064x")


def near(pdq: str, rng: random.Random, bits: int = 12) -> str:
    value = int(pdq, 16)
    ones = rng.sample([b for b in range(256) if value >> b & 1], bits // 2)
    zeros = rng.sample([b for b in range(256) if not value >> b & 1], bits // 2)
    return format(value ^ sum(1 << b for b in ones + zeros), "064x")


def seed(videos: int, frames: int, rng: random.Random) -> list[list[str]]:
    now, bank = timezone.now(), []
    for start in range(0, videos, 200):
        rows, pdqs = [], []
        for n in range(start, min(videos, start + 200)):
            hashes = [balanced(rng) for _ in range(frames)]
            pdqs.append(hashes)
            rows.append(BankHash(signal_type="VideoPDQ", value=f"{n:064x}", modified_at=now, video="[]"))
        BankHash.objects.bulk_create(rows)
        VideoFrame.objects.bulk_create(
            VideoFrame(bank_hash=row, position=i, pdq=h, quality=90, timestamp=float(i), indexed=True)
            for row, hashes in zip(rows, pdqs, strict=True)
            for i, h in enumerate(hashes)
        )
        bank += pdqs
    return bank


def timed(label: str, fn, repeat: int = 5):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<58} {best * 1000:9.1f} ms")
    return result


def _memory() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":")
        fields[name] = int(value.split()[0]) * 1024
    return {"rss": fields["Rss"], "anonymous": fields["Anonymous"]}


def child() -> None:
    """One fresh process's start (prints JSON). Works on the code before the frames were in
    the snapshot too (for the before figures), hence ``getattr``."""
    from matching.index import bank_index

    gc.collect()
    before, started = _memory(), time.perf_counter()
    bank_index.warm_up()
    video_index.warm_up()
    seconds = time.perf_counter() - started
    rng = random.Random(2)
    video_index.videos_near([balanced(rng) for _ in range(60)], 31)
    after = _memory()
    status = getattr(video_index, "status", dict)()
    print(json.dumps({"seconds": seconds, **{k: after[k] - before[k] for k in after}, "status": status}))


def starts(runs: int, frames: int) -> None:
    empty, built = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    outcome = index_build(directory=built)
    assert outcome.path is not None
    print(f"snapshot with the frames: {outcome.path.stat().st_size / 2**20:.1f} MiB")
    for label, directory in (("no snapshot: database fill", empty), ("snapshot mapped", built)):
        for _ in range(runs):
            command = [sys.executable, "-m", "benchmarks.vpdq_bench", "--child"]
            env = {**os.environ, "NCII_INDEX_DIR": str(directory)}
            out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.splitlines()[-1])
            rss, anonymous = got["rss"] / 2**20, got["anonymous"] / 2**20
            print(
                f"  start, {label:<28} {got['seconds'] * 1000:7.0f} ms   RSS +{rss:6.1f} MiB"
                f"   anonymous +{anonymous:6.1f} MiB ({got['anonymous'] / frames:.0f} bytes a frame)  {got['status']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()
    rng = random.Random(1)
    call_command("migrate", verbosity=0)
    bank = seed(args.videos, args.frames, rng)
    print(f"bank: {args.videos} videos x {args.frames} frames = {args.videos * args.frames} frames")
    hour = [f"{balanced(rng)},90,{float(s):.3}" for s in range(3600)]
    timed("check a 3600-frame value (parse, canonical, degenerate)", lambda: video_input_validate(hour), 3)
    before = tracemalloc.start() or tracemalloc.get_traced_memory()[0]
    timed("fill the frame index from the bank (at process start)", lambda: video_index.refresh(force=True), 1)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"  frame index held: {held / 2**20:.1f} MiB, {held / (args.videos * args.frames):.0f} bytes a frame")
    clip = video_input_validate([f"{near(h, rng)},90,{float(s):.3}" for s, h in enumerate(bank[7][:60])])
    found = timed("lookup: 60 frames of a banked video", lambda: video_matches(clip))
    assert found and found[0].query_pct == 100.0
    other = video_input_validate([f"{balanced(rng)},90,{float(s):.3}" for s in range(60)])
    timed("lookup: 60 frames of an unknown video", lambda: video_matches(other))
    long = video_input_validate([f"{balanced(rng)},90,{float(s):.3}" for s in range(600)])
    timed("lookup: 600 frames of an unknown video", lambda: video_matches(long))
    print(f"database: {os.environ['DATABASE_URL']}")
    starts(args.starts, args.videos * args.frames)


if __name__ == "__main__":
    main()
