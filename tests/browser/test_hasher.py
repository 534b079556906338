"""The browser hasher against the Python reference (pdqhash via matching.pdq): images of varied
size, format and content go through the real page, in Chromium."""

import base64
import hashlib
import statistics
import time

import pytest
from PIL import Image

from matching.pdq import pdq_hex_from_bytes
from tests.browser.hasher_page import distance, hash_files, open_hasher
from tests.browser.media import Sample, image_samples, jpeg, photo_like, video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def report(artifact, name: str, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
    print("\n".join(lines))
    with open(artifact(name), "w") as out:
        out.write("\n".join(lines) + "\n")


def test_page_hashes_agree_with_pdqhash(page, live_server, tmp_path, artifact):
    samples = image_samples()
    open_hasher(page, live_server.url + "/cases/new/")

    hashed = hash_files(page, [s.write(tmp_path) for s in samples])

    rows, lossless, lossy = [], [], []
    for sample in samples:
        got, (want, want_quality) = hashed[sample.name], pdq_hex_from_bytes(sample.data)
        assert got.signal_type == "ImagePDQ", (sample.name, got)
        bits = distance(got.hash_value, want)
        (lossy if sample.lossy else lossless).append(bits)
        rows.append(f"{sample.name:18} {bits:3} bits  quality {got.quality} (pdqhash {want_quality})")
        assert bits <= (10 if sample.lossy else 2), rows[-1]
        assert abs(got.quality - want_quality) <= (5 if sample.lossy else 1), rows[-1]
    summary = [
        f"{kind}: max {max(d)} mean {statistics.mean(d):.2f} zero {d.count(0)}/{len(d)}"
        for kind, d in (("lossless (PNG, GIF, WebP)", lossless), ("lossy (JPEG, WebP)", lossy))
    ]
    report(artifact, "hasher-agreement.txt", rows + summary)
    assert lossless.count(0) > len(lossless) / 2  # "0 on most"


def test_12_megapixel_jpeg_rate(page, live_server, tmp_path, artifact):
    """Not a speed assertion: measures and records images/s for 12 MP JPEGs in the page."""
    samples = [Sample(f"12mp-{i}.jpg", jpeg(photo_like(4000, 3000, 40 + i)), lossy=True) for i in range(3)]
    paths = [s.write(tmp_path) for s in samples]
    open_hasher(page, live_server.url + "/cases/new/")

    started = time.perf_counter()
    hashed = hash_files(page, paths)
    seconds = time.perf_counter() - started

    for sample in samples:
        assert distance(hashed[sample.name].hash_value, pdq_hex_from_bytes(sample.data)[0]) <= 10
    assert Image.open(paths[0]).size == (4000, 3000)
    rate = len(samples) / seconds
    report(artifact, "hasher-rate.txt", [f"12 MP JPEG: {rate:.2f} images/s ({1000 / rate:.0f} ms each)"])


def test_window_hasher_hashes_a_file_object(page, live_server):
    """The contract: window.NCIIHasher.hashFile(file) -> {signalType, hashValue, quality}."""
    image = next(s for s in image_samples() if s.name == "turned-6.jpg")
    clip = video(3 * 1024 * 1024)
    open_hasher(page, live_server.url + "/cases/new/")
    hash_in_page = """async ([bytes, name, type]) => {
        const file = new File([Uint8Array.from(atob(bytes), c => c.charCodeAt(0))], name, {type});
        const steps = [];
        const result = await window.NCIIHasher.hashFile(file, {onProgress: f => steps.push(f)});
        return {...result, steps};
    }"""

    got_image = page.evaluate(hash_in_page, [base64.b64encode(image.data).decode(), image.name, "image/jpeg"])
    got_video = page.evaluate(hash_in_page, [base64.b64encode(clip.data).decode(), clip.name, "video/mp4"])

    value, quality = pdq_hex_from_bytes(image.data)
    assert got_image == {"signalType": "ImagePDQ", "hashValue": value, "quality": quality, "steps": []}
    assert got_video["signalType"] == "VideoMD5" and got_video["quality"] is None
    assert got_video["hashValue"] == hashlib.md5(clip.data).hexdigest()  # noqa: S324
    assert got_video["steps"] == [2 / 3, 1]  # 2 MiB chunks of 3 MiB, progress after each
