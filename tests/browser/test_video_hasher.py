"""Videos in the page: beside its MD5, each video gets a vPDQ (PDQ of a frame a second) made in
a worker, in the reference's format; the reference `vpdq` package hashes the same videos and
the two agree frame by frame and video by video. The page stays usable while it works, and
the person can stop it."""

import json
import os
import re
import statistics
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from conftest import REQUIRE_INTEGRATION
from tests.browser.hasher_page import hash_files, open_hasher, wait_until
from tests.browser.media import video
from tests.video_media import Clip
from tests.vpdq_match import Frame, match_percents, matches, parse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ENTRY = re.compile(r"[0-9a-f]{64},(100|[1-9]?[0-9]),[0-9.e+]+")
CLIPS = [Clip("coffee", container="mp4"), Clip("chelsea", container="webm"), Clip("hubble_deep_field", container="mp4")]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("videos")
    return {clip.name: str(clip.write(folder)) for clip in CLIPS}


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    """Long enough that the page is still at work while the test acts."""
    return str(Clip("astronaut", seconds=40, width=1280, height=720, fps=10).write(tmp_path_factory.mktemp("long")))


def reference_vpdq():  # type: ignore[no-untyped-def]
    try:
        import vpdq  # noqa: PLC0415
    except ImportError:
        if REQUIRE_INTEGRATION:
            raise
        pytest.skip("needs the reference vpdq package: pip install -e '.[video-reference]' (and libav*-dev)")
    return vpdq


def test_each_video_gets_md5_and_vpdq_in_the_reference_format(page, live_server, clips):
    open_hasher(page, live_server.url + "/cases/new/")

    hashed = hash_files(page, list(clips.values()))

    for name in clips:
        got = hashed[name]
        assert (got.state, got.signal_type, got.status) == ("ready", "VideoMD5", "Ready."), got
        entries = json.loads(got.vpdq)
        assert all(ENTRY.fullmatch(e) for e in entries), entries
        assert [e.split(",")[2] for e in entries] == ["0.0", "1.0", "2.0", "3.0", "4.0"]  # a frame a second
        assert len({e.split(",")[0] for e in entries}) == 5  # the pan shows a new picture each second


def test_browser_and_reference_agree(page, live_server, clips, artifact):
    vpdq = reference_vpdq()
    open_hasher(page, live_server.url + "/cases/new/")
    hashed = hash_files(page, list(clips.values()))

    browser = {name: parse(hashed[name].vpdq or "[]") for name in clips}
    reference = {
        name: [Frame(int(f.hex, 16), f.quality, f.timestamp) for f in vpdq.computeHash(path, seconds_per_hash=1)]
        for name, path in clips.items()
    }

    lines, all_bits = [], []
    for name in clips:
        by_time = {round(f.timestamp, 3): f for f in reference[name]}
        assert sorted(by_time) == [f.timestamp for f in browser[name]], (name, sorted(by_time))
        bits = [(f.pdq ^ by_time[f.timestamp].pdq).bit_count() for f in browser[name]]
        all_bits += bits
        lines.append(f"{name}: bits per frame {bits}, median {statistics.median(bits)}")
        assert statistics.median(bits) <= 10, lines[-1]
        assert matches(browser[name], reference[name]) and matches(reference[name], browser[name]), lines[-1]
    for query in clips:
        for other in clips:
            if query != other:  # unrelated videos: neither hash calls them a match, both ways
                assert matches(browser[query], reference[other]) == matches(reference[query], reference[other])
                assert not matches(browser[query], browser[other]), match_percents(browser[query], browser[other])
    lines.append(f"all frames: median {statistics.median(all_bits)} max {max(all_bits)} bits")
    print("\n".join(lines))
    with open(artifact("video-agreement.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")


def test_a_file_that_is_not_a_playable_video_gets_its_md5_only(page, live_server, tmp_path):
    clip = video(1024 * 1024)
    open_hasher(page, live_server.url + "/cases/new/")

    got = hash_files(page, [clip.write(tmp_path)])["clip.mp4"]

    assert got.state == "ready" and got.signal_type == "VideoMD5" and got.vpdq is None
    assert "cannot play this video, so only exact copies of it will be found" in got.status


def frames_progress(page: Page) -> float:
    return float(page.evaluate("document.querySelector('#file-list li .file-progress').value"))


def start_long_video(page: Page, url: str, path: str) -> None:
    open_hasher(page, url)
    page.set_input_files("#files", [path])
    status = page.locator("#file-list li .file-status")
    expect(status).to_contain_text("Fingerprinting the video’s frames", timeout=60_000)
    wait_until(page, "document.querySelector('#file-list li .file-progress').value > 0", 60_000)


def test_the_page_stays_responsive_while_frames_are_hashed(page, live_server, long_clip):
    start_long_video(page, live_server.url + "/cases/new/", long_clip)
    # The page has no text field at this step; a probe field stands in for whatever the person uses.
    probe = "Object.assign(document.createElement('input'), {id: 'probe'})"
    page.evaluate(f"document.querySelector('#hasher').prepend({probe})")
    text = "still typing while it works"

    started = time.perf_counter()
    page.locator("#probe").press_sequentially(text)
    typed = page.locator("#probe").input_value()
    progress = frames_progress(page)
    seconds = time.perf_counter() - started

    assert typed == text and progress < 1
    expect(page.locator("#file-list li")).to_have_attribute("data-state", "hashing")
    print(f"typed {len(text)} characters in {seconds * 1000:.0f} ms while the frames were at {progress:.0%}")


def test_cancel_keeps_the_md5_only(page, live_server, long_clip):
    start_long_video(page, live_server.url + "/cases/new/", long_clip)
    item = page.locator("#file-list li")
    expect(item.get_by_role("progressbar", name=re.compile("Progress of"))).to_be_visible()
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in {"serious", "critical"}] == []

    item.get_by_role("button", name=re.compile("Stop fingerprinting the frames of")).click()

    expect(item).to_have_attribute("data-state", "ready")
    expect(item.locator(".file-status")).to_contain_text("only exact copies of this video will be found")
    expect(item.get_by_role("button", name=re.compile("Stop fingerprinting"))).to_be_hidden()
    assert item.get_attribute("data-vpdq") == "" and item.get_attribute("data-signal-type") == "VideoMD5"
    assert os.path.getsize(long_clip) > 0


def test_timestamps_are_written_as_pythons_format_writes_them(page, live_server):
    """vpdq_util writes a timestamp with format(t, ".3"); HMA parses what the page sends."""
    seconds = [0, 1, 12, 59.94, 99, 100, 101, 999, 1234, 0.5, 0.968, 0.0001, 0.00001]
    page.goto(live_server.url + "/")

    written = page.evaluate("s => import('/static/js/vpdq.js').then(m => s.map(m.pythonFloat3))", seconds)

    assert written == [format(float(s), ".3") for s in seconds]
