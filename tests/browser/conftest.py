import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started

from conftest import CHROMIUM

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.set_default_timeout(10_000)
    yield page
    page.close()
    browser.clear_cookies()


@pytest.fixture
def artifact() -> object:
    ARTIFACTS.mkdir(exist_ok=True)
    return lambda name: str(ARTIFACTS / name)


class _InFlightRequests:
    """Counts the requests the live server is handling. A page's last click can start a
    request (the next item, a lease renewal) that is still writing when the test ends; the
    test database is flushed with one TRUNCATE of every table, which deadlocks against it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._changed = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._count = 0

    def started(self, **_kwargs: object) -> None:
        if threading.current_thread() is threading.main_thread():
            return  # the test client's requests run in the test's thread, not the live server's
        with self._lock:
            self._count += 1
            self._changed = time.monotonic()

    def finished(self, **_kwargs: object) -> None:
        if threading.current_thread() is threading.main_thread():
            return
        with self._lock:
            self._count = max(0, self._count - 1)
            self._changed = time.monotonic()

    def wait_until_quiet(self, settle: float = 0.3, timeout: float = 15.0) -> None:
        """Returns once no request has been in flight for `settle` seconds (a request the
        browser sent just before its page closed may still be on its way), or at `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                quiet = self._count == 0 and time.monotonic() - self._changed >= settle
            if quiet:
                return
            time.sleep(0.05)


_IN_FLIGHT = _InFlightRequests()
request_started.connect(_IN_FLIGHT.started, weak=False, dispatch_uid="tests.browser.in_flight.started")
request_finished.connect(_IN_FLIGHT.finished, weak=False, dispatch_uid="tests.browser.in_flight.finished")


@pytest.fixture(autouse=True)
def _live_server_quiet_before_flush(request):  # type: ignore[no-untyped-def]
    """Set up before the test's page (autouse), so torn down after the page has closed and
    before the database is flushed: waits for the live server's last requests to finish."""
    _IN_FLIGHT.reset()
    yield
    if "live_server" in request.fixturenames:
        _IN_FLIGHT.wait_until_quiet()


@pytest.fixture(scope="session", autouse=True)
def _live_server_closes_its_connections() -> Iterator[None]:
    """The live server keeps a browser's keep-alive socket in one thread; with persistent
    connections (DB_CONN_MAX_AGE) that thread would hold a database session open past the
    test session and the test database could not be dropped. Each request closes its own."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    previous = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = previous
