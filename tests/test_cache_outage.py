"""The shared cache down (a Redis URL where nothing listens, so every call is refused as
when Redis stops): throttles fail open to per-process counts, logged once; the PIN guard
fails closed with 503 and Retry-After; case creation and the partner API keep working."""

import logging

import pytest
from django.urls import reverse

from audit.services import Actor
from cases.apis import CaseCreateThrottle
from cases.services import HashInput, case_create
from ncii_site.cache_fallback import throttle_cache
from tests.api_helpers import CASE_STATUS, CASE_WITHDRAW, CASES, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, random_pdq
from tests.redis_server import free_port

pytestmark = pytest.mark.django_db

CHECK = reverse("victim:check")


@pytest.fixture
def cache_down(settings):
    """CACHE_URL pointing at a port nothing listens on: the real client, refused at once."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield
    throttle_cache.clear()


def a_case() -> tuple[str, str]:
    case, pin = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    return case.number, pin


@pytest.mark.parametrize("url", [CASE_STATUS, CASE_WITHDRAW])
def test_the_pin_guard_fails_closed_with_503_and_retry_after(client, cache_down, settings, url):
    number, pin = a_case()
    before = row_counts()

    response = post_json(client, url, {"caseNumber": number, "pin": pin})

    assert_error(response, 503, "unavailable")
    assert int(response["Retry-After"]) == settings.NCII_PIN_GUARD_RETRY_AFTER_SECONDS
    assert row_counts() == before  # not even the right PIN withdraws


def test_the_check_page_fails_closed_too(client, cache_down):
    number, pin = a_case()

    response = client.post(CHECK, {"number": number, "pin": pin})

    assert response.status_code == 503 and int(response["Retry-After"]) > 0
    assert "try again" in response.content.decode().lower()
    assert pin not in response.content.decode()


def test_case_creation_keeps_working(client, cache_down):
    body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 90}]}

    response = post_json(client, CASES, body)

    assert response.status_code == 201, response.content


def test_throttles_still_count_per_process(client, cache_down, monkeypatch):
    monkeypatch.setattr(CaseCreateThrottle, "rate", "2/hour", raising=False)
    statuses = []
    for _ in range(3):
        body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 90}]}
        statuses.append(post_json(client, CASES, body).status_code)

    assert statuses == [201, 201, 429]


def test_the_partner_api_keeps_answering(client, cache_down, partner_keys):
    _, keys = partner_keys
    bank = BankHashFactory()

    response = post_json(
        client, "/api/v1/lookup", {"signalType": "ImagePDQ", "hashes": [bank.value]}, **bearer(keys.api_key)
    )

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["matches"][0]["distance"] == 0


def test_the_outage_is_logged_once_not_per_request(client, cache_down, settings, caplog):
    settings.NCII_CACHE_RETRY_SECONDS = 0  # every request tries the shared cache again
    caplog.set_level(logging.WARNING, logger="ncii_site.cache_fallback")
    for _ in range(5):
        body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 90}]}
        assert post_json(client, CASES, body).status_code == 201

    lines = [r.getMessage() for r in caplog.records if r.name == "ncii_site.cache_fallback"]
    assert len(lines) == 1 and "unreachable" in lines[0]
    assert "127.0.0.1" not in lines[0]  # the error's type, not its text (which names the host)
