"""Shared helpers for the dashboard page tests."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def query_count(request) -> int:  # type: ignore[no-untyped-def]
    """Queries one request makes; ``request`` is a no-argument callable returning a response."""
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code in (200, 302), response.status_code
    return len(captured)
