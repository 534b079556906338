"""Schemathesis drives every operation of /api/schema/ through the app (WSGI, no server) with
a partner's valid credentials, positive and negative examples: no 5xx, and every response,
errors included, has a documented status, content type and body. Bounded and derandomized,
so it runs in CI in seconds, the same examples every time."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ncii_site.wsgi import application
from tests.factories import partner_with_keys

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUNCTIONS = {
    "/v1/FetchHashes": "FetchHashes",
    "/v1/SubmitFeedback": "SubmitFeedback",
    "/v1/SubmitHashes": "SubmitHashes",
}


@pytest.fixture
def _connection_kept():  # type: ignore[no-untyped-def]
    """As Django's test client does: a request must not close the connection that holds the
    test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def credentials(db, _connection_kept) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Headers per path: the Bearer API key, and on /v1/ the StopNCII key pair for that endpoint."""
    _, keys = partner_with_keys("fuzzer")
    bearer = {"Authorization": f"Bearer {keys.api_key}"}
    exchange = {
        path: {"Ocp-Apim-Subscription-Key": keys.subscription_key, "x-functions-key": keys.function_keys[fn]}
        for path, fn in FUNCTIONS.items()
    }
    return {"bearer": bearer, **exchange}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_within_its_schema(case, credentials):  # type: ignore[no-untyped-def]
    cache.clear()  # throttles and PIN locks would otherwise answer 429 to most examples
    case.call_and_validate(headers=credentials.get(case.path, credentials["bearer"]), checks=CHECKS)
