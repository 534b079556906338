"""Helpers shared by the browser tests. Staff sign in only through ``sign_in``, so a change to
the login flow (two-factor, say) is made in one place."""

import re
import time
from collections.abc import Callable

from tests.factories import PASSWORD


def sign_in(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll the database for what the page did in the background (a beacon, say)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the page's request"
        time.sleep(0.05)


def keys_on(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the page's keyboard shortcuts (static/js/review.js) to listen."""
    page.locator("html[data-keys='on']").wait_for(state="attached")
