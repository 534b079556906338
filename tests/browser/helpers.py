"""Browser steps shared by the Chromium tests."""

import re
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model

from tests.factories import PASSWORD
from tests.staff_helpers import totp_code, totp_device


def sign_in(page, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real pages: username and password, then the code the user's
    authenticator shows (the device is created if the user has none)."""
    device = totp_device(get_user_model().objects.get(username=username))
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.get_by_label("Code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll the database for what the page did in the background (a beacon, say)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the page's request"
        time.sleep(0.05)


def keys_on(page) -> None:  # type: ignore[no-untyped-def]
    """Wait for the page's keyboard shortcuts (static/js/review.js) to listen and its review
    images (static/js/reveal.js, a module of its own) to take clicks."""
    page.locator("html[data-keys='on']").wait_for(state="attached")
    page.wait_for_function("() => !document.querySelector('[data-reveal-toggle][disabled]')")
