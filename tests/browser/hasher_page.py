"""Driving the create-a-case page: pass the age gate, choose files, read what the page hashed."""

import re
import time
from dataclasses import dataclass

from playwright.sync_api import Page, expect

DONE = (
    "document.querySelectorAll('#file-list li').length === {n}"
    " && !document.querySelector('#file-list li[data-state=hashing]')"
)


@dataclass(frozen=True)
class Hashed:
    state: str
    signal_type: str | None
    hash_value: str | None
    quality: int | None
    status: str
    vpdq: str | None = None  # a video's frames: the VideoPDQ value sent beside its MD5


def open_hasher(page: Page, url: str) -> None:
    """Answer the gate as an adult in the images; wait until the page's script is ready."""
    page.goto(url)
    page.get_by_label("18 or older").check()
    page.get_by_label(re.compile("(I am|they are) in the images")).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#hasher[data-ready=true]")).to_be_attached()


def hash_files(page: Page, paths: list[str], *, timeout_ms: int = 120_000) -> dict[str, Hashed]:
    before = page.locator("#file-list li").count()
    page.set_input_files("#files", paths)
    wait_until(page, DONE.format(n=before + len(paths)), timeout_ms)
    return hashed_items(page)


def wait_until(page: Page, expression: str, timeout_ms: int) -> None:
    """Poll an expression from the test side: the page's CSP forbids the eval that
    ``wait_for_function`` would need, and must stay as strict under test."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_ms} ms: {expression}")
        time.sleep(0.02)


def hashed_items(page: Page) -> dict[str, Hashed]:
    rows = page.eval_on_selector_all(
        "#file-list li",
        """items => items.map(li => ({
        name: li.querySelector('.file-name').textContent, state: li.dataset.state,
        signalType: li.dataset.signalType || null, hashValue: li.dataset.hashValue || null,
        quality: li.dataset.quality || null, status: li.querySelector('.file-status').textContent,
        vpdq: li.dataset.vpdq || null}))""",
    )
    return {
        row["name"]: Hashed(
            row["state"],
            row["signalType"],
            row["hashValue"],
            int(row["quality"]) if row["quality"] else None,
            row["status"],
            row["vpdq"],
        )
        for row in rows
    }


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
