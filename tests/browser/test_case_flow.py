"""A person's whole journey in Chromium: hash images and a video in the page, create the case,
check it, withdraw it; partners see the hashes Active, then Withdrawn. Every request the page
makes is recorded: none carries file bytes."""

import hashlib
import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import expect

from matching.pdq import pdq_hex_from_bytes
from tests.browser.hasher_page import hash_files, open_hasher
from tests.browser.media import MARKER, flat_image, image_samples, video
from tests.factories import partner_with_keys
from tests.video_media import Clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Recorder:
    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.requests: list[tuple[str, str, bytes]] = []
        page.on("request", lambda r: self.requests.append((r.method, r.url, r.post_data_buffer or b"")))

    def posts(self) -> list[tuple[str, bytes]]:
        return [(urlsplit(url).path, body) for method, url, body in self.requests if method == "POST"]


def on_device_or_own_script(method: str, url: str, origin: str) -> bool:
    """What hashing may request: a chosen video played from its blob: URL (read on the device),
    and the vPDQ worker's scripts from the hub's static files; nothing else."""
    return method == "GET" and (url.startswith(f"blob:{origin}/") or url.startswith(f"{origin}/static/js/"))


def fetch_statuses(values: set[str]) -> dict[str, str]:
    """What a partner sees for these hashes in GET /v1/FetchHashes."""
    _, keys = partner_with_keys()
    headers = {
        "HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key,
        "HTTP_X_FUNCTIONS_KEY": keys.function_keys["FetchHashes"],
    }
    body = Client().get("/v1/FetchHashes", {"startTimestamp": 0, "pageSize": 1000}, **headers).json()
    return {r["hashValue"]: r["hashStatus"] for r in body["hashRecords"] if r["hashValue"] in values}


def enter_case(page, number: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Case number").fill(number)
    page.get_by_label("PIN").fill(pin)


def test_create_check_and_withdraw_a_case(page, browser, live_server, tmp_path, artifact):
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    images = [s for s in image_samples() if s.name in {"tiny.png", "large.png", "big.jpg"}]  # quality 100
    flat, clip = flat_image(), video()
    recorder = Recorder(page)
    open_hasher(page, live_server.url + "/cases/new/")

    hashed = hash_files(page, [s.write(tmp_path) for s in [*images, flat, clip]])

    assert hashed["clip.mp4"].hash_value == hashlib.md5(clip.data).hexdigest()  # noqa: S324
    assert hashed["clip.mp4"].state == "ready"
    assert hashed["flat.png"].state == "low-quality"
    assert "cannot be protected reliably" in hashed["flat.png"].status
    page.get_by_label(re.compile("Show previews")).check()
    page.screenshot(path=artifact("case-new.png"), full_page=True)
    expect(page.get_by_role("button", name="Create my case")).to_be_enabled()
    page.get_by_role("button", name="Create my case").click()

    expect(page.get_by_role("heading", name="Your case is created")).to_be_focused()
    number, pin = page.locator("#case-number").inner_text(), page.locator("#case-pin").inner_text()
    expect(page.locator("#case-created")).to_contain_text("cannot be recovered")
    expect(page.locator("#file-list")).to_have_count(0)  # thumbnails gone with the hasher
    page.get_by_role("button", name="Copy number and PIN").click()
    expect(page.locator("#copy-status")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"Case number: {number}\nPIN: {pin}"
    browser.clear_permissions()
    page.screenshot(path=artifact("case-created.png"), full_page=True)
    sent = {h.hash_value for h in hashed.values() if h.state == "ready"}
    assert sent == {pdq_hex_from_bytes(s.data)[0] for s in images} | {hashlib.md5(clip.data).hexdigest()}  # noqa: S324
    assert fetch_statuses(sent) == dict.fromkeys(sent, "Active")

    page.goto(live_server.url + "/cases/check/")
    enter_case(page, number, pin)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#case-status")).to_contain_text("3 images and 1 video")
    page.screenshot(path=artifact("case-check.png"), full_page=True)

    page.get_by_role("button", name=re.compile("Withdraw this case")).click()
    expect(page.locator("#withdraw-confirm")).to_contain_text(number)
    page.screenshot(path=artifact("case-withdraw-confirm.png"), full_page=True)
    page.get_by_role("button", name="Yes, withdraw the case").click()
    expect(page.locator("#withdraw-done")).to_contain_text("is withdrawn")
    assert fetch_statuses(sent) == dict.fromkeys(sent, "Withdrawn")
    assert all(pin not in url and number not in url for _, url, _ in recorder.requests)


def test_no_request_carries_file_bytes(page, live_server, tmp_path):
    samples = [*image_samples()[:6], flat_image(), video(3 * 1024 * 1024)]
    recorder = Recorder(page)
    open_hasher(page, live_server.url + "/cases/new/")
    before = len(recorder.requests)

    hashed = hash_files(page, [s.write(tmp_path) for s in samples])
    during = recorder.requests[before:]
    page.get_by_role("button", name="Create my case").click()
    expect(page.locator("#case-created")).to_be_visible()

    assert all(on_device_or_own_script(method, url, live_server.url) for method, url, _ in during), during
    origin = live_server.url
    assert all(url.startswith((origin, "data:", "blob:")) for _, url, _ in recorder.requests), recorder.requests
    assert all(MARKER not in body for _, _, body in recorder.requests)
    posts = recorder.posts()
    assert [path for path, _ in posts] == ["/cases/new/", "/api/v1/cases"]  # the age gate, then the hashes
    gate, create = (body for _, body in posts)
    assert len(gate) < 200 and len(create) < 2000
    hashes = json.loads(create)["hashes"]
    assert list(json.loads(create)) == ["hashes"]
    assert all(set(h) == {"signalType", "hashValue", "quality"} for h in hashes)
    ready = {h.hash_value for h in hashed.values() if h.state == "ready"}
    assert {h["hashValue"] for h in hashes} == ready and len(hashes) == len(ready)
    assert hashed["flat.png"].hash_value not in ready  # below the quality threshold: not sent


def test_a_video_is_sent_as_its_md5_and_its_vpdq_and_nothing_else(page, live_server, tmp_path):
    """The acceptance test of videos' vPDQ: needs the hub to accept VideoPDQ (the server side)."""
    path = Clip("coffee", seconds=3).write(tmp_path, comment=MARKER.decode())
    data = path.read_bytes()
    assert MARKER in data
    recorder = Recorder(page)
    open_hasher(page, live_server.url + "/cases/new/")
    before = len(recorder.requests)

    hashed = hash_files(page, [str(path)])[path.name]
    during = recorder.requests[before:]
    page.get_by_role("button", name="Create my case").click()
    expect(page.locator("#case-created")).to_be_visible()
    expect(page.locator("#created-count")).to_contain_text("1 video")

    assert all(on_device_or_own_script(method, url, live_server.url) for method, url, _ in during), during
    assert all(MARKER not in body for _, _, body in recorder.requests)
    _, create = recorder.posts()[-1]
    assert json.loads(create)["hashes"] == [
        {"signalType": "VideoMD5", "hashValue": hashlib.md5(data).hexdigest(), "quality": None},  # noqa: S324
        {"signalType": "VideoPDQ", "hashValue": hashed.vpdq, "quality": None},
    ]
    assert len(json.loads(hashed.vpdq or "[]")) == 3
    assert fetch_statuses({hashlib.md5(data).hexdigest()}) == {hashlib.md5(data).hexdigest(): "Active"}  # noqa: S324
