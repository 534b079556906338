"""Shared helpers for the API tests: JSON requests, the one error shape, and row counts
that show whether a refused request wrote anything."""

import json
from typing import Any

from django.http import HttpResponse
from django.test import Client

from audit.models import AuditEvent
from cases.models import Case, CaseHash
from matching.models import BankHash, MatchReport
from moderation.models import ReviewItem

MATCHES = "/api/v1/matches"
CASES = "/api/v1/cases"
CASE_STATUS = "/api/v1/cases/status"
CASE_WITHDRAW = "/api/v1/cases/withdraw"
FETCH = "/v1/FetchHashes"


class Raw(bytes):
    """A request body sent exactly as given, not JSON-encoded."""


def post_json(client: Client, url: str, body: Any, **headers: Any) -> HttpResponse:
    data = bytes(body) if isinstance(body, Raw) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def assert_error(response: HttpResponse, status: int, code: str | None = None) -> dict[str, str]:
    """The response is the API's one error shape with this status (and code, if given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["error"] == code, body
    return body


def row_counts() -> dict[str, int]:
    """Rows of everything an API request may write."""
    models = (MatchReport, Case, CaseHash, BankHash, ReviewItem, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}
