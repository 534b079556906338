"""Signed-in sessions end when idle too long, when too old, and at once for a deactivated user."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.middleware import SEEN, STARTED
from tests.staff_helpers import HTMX, signed_in

pytestmark = pytest.mark.django_db
QUEUE = "/dashboard/"


@pytest.fixture(autouse=True)
def _limits(settings):  # type: ignore[no-untyped-def]
    settings.NCII_SESSION_IDLE_SECONDS = 30 * 60
    settings.NCII_SESSION_MAX_SECONDS = 12 * 3600


def stamp(client: Client, **ages: int) -> None:
    """Move the session's start (``started``) or last request (``seen``) this many seconds back."""
    session, now = client.session, int(time.time())
    for key, age in ages.items():
        session[{"started": STARTED, "seen": SEEN}[key]] = now - age
    session.save()


def assert_signed_out(client: Client, response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    assert SESSION_KEY not in client.session


def test_a_session_in_use_records_when_it_began_and_was_last_seen(moderator):
    client = signed_in(moderator)
    assert client.get(QUEUE).status_code == 200
    session = client.session
    assert abs(session[STARTED] - time.time()) < 5 and session[SEEN] >= session[STARTED]


def test_an_idle_session_ends(moderator):
    client = signed_in(moderator)
    client.get(QUEUE)
    stamp(client, seen=29 * 60)
    assert client.get(QUEUE).status_code == 200
    stamp(client, seen=30 * 60 + 1)
    assert_signed_out(client, client.get(QUEUE))


def test_a_busy_session_still_ends_at_its_absolute_limit(moderator):
    client = signed_in(moderator)
    client.get(QUEUE)
    stamp(client, started=12 * 3600 + 1, seen=10)
    assert_signed_out(client, client.get(QUEUE))


def test_an_htmx_request_after_the_session_ended_moves_the_page_to_sign_in(moderator):
    client = signed_in(moderator)
    client.get(QUEUE)
    stamp(client, seen=31 * 60)
    response = client.get(QUEUE, HTTP_HX_CURRENT_URL="http://testserver/dashboard/", **HTMX)
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


def test_a_deactivated_users_session_ends_at_its_next_request(moderator):
    client = signed_in(moderator)
    assert client.get(QUEUE).status_code == 200
    moderator.is_active = False
    moderator.save()
    assert_signed_out(client, client.get(QUEUE))
    moderator.is_active = True
    moderator.save()
    assert client.get(QUEUE).status_code == 302  # ended, not just refused while inactive


def test_the_second_factor_ends_with_the_session(moderator):
    client = signed_in(moderator)
    client.get(QUEUE)
    stamp(client, seen=31 * 60)
    client.get(QUEUE)
    client.force_login(moderator)  # the password again, but not the code
    assert client.get(QUEUE).url.startswith("/accounts/2fa/")
