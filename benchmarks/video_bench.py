"""Videos' vPDQ as the victim's browser makes it (static/js/vpdq.js in headless Debian Chromium).

(a) Robustness: each generated test video (pans and zooms over scikit-image's photographs,
H.264/MP4 and VP9/WebM, 5-20 s, 360p-1080p) re-encoded at a low bitrate, scaled to 480p, with
10 % trimmed from the start, and watermarked; every copy must match its original and no two
originals may match (the reference brute matcher's rule, tests/vpdq_match.py). Browser hashes
on both sides; with the reference `vpdq` package installed, also the browser's agreement with it.
(b) Speed: a 60-second 1080p video hashed in the page; wall and Chromium CPU seconds.
(c) Limits (--limits; the reference `vpdq` package and pdqhash, no browser): why the misses in (a)
are vPDQ's own. The phase of the one-a-second samples: a copy cut by a few frames against the pan's
speed; and a watermark's effect on single frames' PDQ, by photo and by the mark's size and opacity.

    python -m benchmarks.video_bench            # (a) and (b) (a few minutes: the videos are encoded first)
    python -m benchmarks.video_bench --speed    # (b) only; --robustness for (a) only; --limits for (c)"""

import argparse
import functools
import http.server
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.video_media import PHOTOS, Clip, pan_and_zoom, photo, re_encoded, scaled, trimmed, watermark, watermarked  # noqa: E402
from tests.vpdq_match import Frame, match_percents, matches, parse  # noqa: E402

STATIC_JS = Path(__file__).resolve().parents[1] / "static" / "js"
CHROMIUM = "/usr/bin/chromium"
PAGE = """<!doctype html><meta charset="utf-8"><input type="file" id="video">
<script type="module">import { vpdqFile } from "./js/vpdq.js"; window.vpdqFile = vpdqFile;</script>"""
HASH = """async () => {
  const started = performance.now();
  const value = await window.vpdqFile(document.getElementById("video").files[0]);
  return [value, (performance.now() - started) / 1000];
}"""
CLIPS = [
    Clip("coffee", seconds=5, width=640, height=360, container="mp4"),
    Clip("chelsea", seconds=10, width=1280, height=720, container="webm"),
    Clip("rocket", seconds=10, width=640, height=360, container="mp4"),
    Clip("astronaut", seconds=20, width=1920, height=1080, container="mp4"),
    Clip("immunohistochemistry", seconds=10, width=1280, height=720, container="webm"),
    Clip("hubble_deep_field", seconds=5, width=640, height=360, container="webm"),
]
COPIES: dict[str, Callable[[Path, Path], Path]] = {
    "low bitrate": lambda src, dst: re_encoded(src, dst, bitrate=low_bitrate(src)),
    "480p": lambda src, dst: scaled(src, dst, height=480),
    "trimmed 10 %": lambda src, dst: trimmed(src, dst, fraction=0.1),
    "watermarked": watermarked,
}


def low_bitrate(path: Path) -> int:
    clip = next(c for c in CLIPS if path.name == c.name)
    return clip.width * clip.height * clip.fps // 50  # 0.02 bits a pixel: 138 kb/s at 360p


@contextmanager
def bench_page() -> Iterator[tuple[object, Callable[[Path], tuple[str, float]]]]:
    """The hasher's own modules served from a folder, in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as root, sync_playwright() as playwright:
        (Path(root) / "index.html").write_text(PAGE)
        (Path(root) / "js").symlink_to(STATIC_JS)
        handler = functools.partial(QuietHandler, directory=root)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        page.wait_for_function("window.vpdqFile !== undefined")

        def hash_video(path: Path) -> tuple[str, float]:
            page.set_input_files("#video", str(path))
            value, seconds = page.evaluate(HASH)
            return value, seconds

        try:
            yield browser, hash_video
        finally:
            browser.close()
            server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def chromium_cpu_seconds() -> float:
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name():
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            continue
    return total


def robustness(folder: Path) -> None:
    originals = {clip.name: clip.write(folder) for clip in CLIPS}
    copies = {
        (name, kind): make(path, folder / f"{kind.replace(' ', '-')}-{name}")
        for name, path in originals.items()
        for kind, make in COPIES.items()
    }
    with bench_page() as (_, hash_video):
        hashed = {name: parse(hash_video(path)[0]) for name, path in originals.items()}
        copied = {key: parse(hash_video(path)[0]) for key, path in copies.items()}
    print("(a) robustness: each copy's hash against its original's (query % / original %), browser hashes")
    copies_table(hashed, copied)
    reference = reference_hashes({**originals, **{f"{kind}|{name}": p for (name, kind), p in copies.items()}})
    if reference:
        print("  the same with the reference vpdq package's hashes:")
        copies_table(
            {name: reference[name] for name in originals},
            {(name, kind): reference[f"{kind}|{name}"] for name, kind in copies},
        )
        agreement(hashed, reference)


def copies_table(hashed: dict[str, list[Frame]], copied: dict[tuple[str, str], list[Frame]]) -> None:
    missed = 0
    for name in hashed:
        cells = []
        for kind in COPIES:
            query, compared = match_percents(copied[name, kind], hashed[name])
            ok = matches(copied[name, kind], hashed[name])
            missed += not ok
            cells.append(f"{kind} {query:.0f}/{compared:.0f}{'' if ok else ' MISSED'}")
        print(f"  {name:34} " + "; ".join(cells))
    false = [(a, b) for a in hashed for b in hashed if a != b and matches(hashed[a], hashed[b])]
    print(
        f"  copies matched: {len(copied) - missed}/{len(copied)}; "
        f"unrelated pairs matched: {len(false)}/{len(hashed) * (len(hashed) - 1)} {false or ''}"
    )


def reference_hashes(paths: dict[str, Path]) -> dict[str, list[Frame]]:
    try:
        import vpdq
    except ImportError:
        print("  (the reference vpdq package is not installed: pip install -e '.[video-reference]')")
        return {}
    return {key: reference_frames(vpdq, path) for key, path in paths.items()}


def agreement(hashed: dict[str, list[Frame]], reference: dict[str, list[Frame]]) -> None:
    print("  browser against the reference, bits per frame aligned by timestamp:")
    every = []
    for name, frames in hashed.items():
        by_time = {round(f.timestamp, 3): f.pdq for f in reference[name]}
        bits = [(f.pdq ^ by_time[f.timestamp]).bit_count() for f in frames if f.timestamp in by_time]
        every += bits
        quality = statistics.median(f.quality for f in frames)
        print(
            f"    {name:34} median {statistics.median(bits):4.1f} max {max(bits):3} (frames' median quality {quality})"
        )
    within = sum(b <= 10 for b in every) * 100 / len(every)
    print(f"    all {len(every)} frames: median {statistics.median(every)} bits, {within:.0f} % within 10")


def speed(folder: Path) -> None:
    """Seeking decodes from the keyframe before the target, so the keyframe spacing matters:
    phone cameras write one about every second; x264's default is one every 250 frames."""
    warm_up = Clip("coffee", seconds=2).write(folder)
    for keyframes, label in ((30, "a keyframe a second"), (0, "x264's default, a keyframe every 250 frames")):
        clip = Clip("astronaut", seconds=60, width=1920, height=1080, fps=30, keyframe_every=keyframes)
        path = clip.write(folder)
        with bench_page() as (_, hash_video):
            hash_video(warm_up)  # the worker's modules compiled once
            cpu = chromium_cpu_seconds()
            value, seconds = hash_video(path)
            cpu = chromium_cpu_seconds() - cpu
        frames = len(parse(value))
        print(
            f"(b) speed, 60 s 1080p H.264 at 30 fps, {label} ({path.stat().st_size / 1e6:.1f} MB): {frames} frames in "
            f"{seconds:.1f} s wall ({frames / seconds:.1f} frames/s), Chromium CPU {cpu:.1f} s; "
            f"{psutil.cpu_count()} cores, load {psutil.getloadavg()[0]:.1f}"
        )


def limits(folder: Path) -> None:
    """(c) Both misses of (a) measured where they come from, with the reference's own hashes."""
    try:
        import pdqhash
        import vpdq
    except ImportError:
        print("(c) needs the reference vpdq package: pip install -e '.[video-reference]'")
        return
    print("(c) limits. The samples' phase: a copy cut by N frames (30 fps) against its original (query %)")
    print("    the pan crosses the photo in the clip's length, so a longer clip pans more slowly")
    cuts = (0, 4, 8, 15, 30)
    for clip in (
        Clip("coffee", seconds=5),
        Clip("chelsea", seconds=10),
        Clip("astronaut", seconds=20),
        Clip("astronaut", seconds=60),
    ):
        source = clip.write(folder)
        original = reference_frames(vpdq, source)
        cells = []
        for cut in cuts:
            copy = (
                original
                if not cut
                else reference_frames(vpdq, trimmed(source, folder / f"cut{cut}-{clip.name}", frames=cut))
            )
            cells.append(f"{cut:2} frames {match_percents(copy, original)[0]:3.0f} %")
        print(f"  {clip.name:24} " + "; ".join(cells))

    def pdq(array: object) -> int:
        bits, _ = pdqhash.compute(array)
        return int("".join("1" if b else "0" for b in bits), 2)

    marks: dict[str, dict] = {
        "the banner (3.7 %, 43 % white)": {},
        "banner at 24 % white": {"opacity": 60},
        "text only": {"opacity": 0},
        "corner box (1 %)": {"box": (0.8, 0.9, 0.97, 0.96)},
    }
    print("  a watermark on single frames: PDQ bits changed, median of 5 frames of the pan (31 is the match radius)")
    for name in PHOTOS:
        frames = list(pan_and_zoom(photo(name), 640, 360, 5))
        cells = []
        for label, options in marks.items():
            bits = [(pdq(f) ^ pdq(watermark(f, **options))).bit_count() for f in frames]
            cells.append(f"{label} {statistics.median(bits):3.0f}")
        print(f"  {name:22} " + "; ".join(cells))


def reference_frames(vpdq: ModuleType, path: Path) -> list[Frame]:
    return [Frame(int(f.hex, 16), f.quality, f.timestamp) for f in vpdq.computeHash(str(path), seconds_per_hash=1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--speed", action="store_true", help="only the 60-second 1080p timings")
    only.add_argument("--robustness", action="store_true", help="only the copies and the agreement")
    only.add_argument("--limits", action="store_true", help="only the phase and watermark measurements")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="video-bench-") as folder:
        started = time.perf_counter()
        if args.limits:
            limits(Path(folder))
        if not (args.speed or args.limits):
            robustness(Path(folder))
        if not (args.robustness or args.limits):
            speed(Path(folder))
        print(f"({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
