"""Bad requests to the match and case APIs: every one is a 4xx in the one error shape,
and none of them writes anything."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from audit.services import Actor
from partners.models import Partner, PartnerKey
from partners.services import partner_set_status
from tests.api_helpers import CASES, MATCHES, Raw, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, partner_with_keys, report_for

pytestmark = pytest.mark.django_db

Body = Callable[[str], Any]  # the bank hash's value -> the request body


def report(**fields: Any) -> Body:
    """A match report for the bank hash, with ``fields`` replaced; ``...`` drops a field."""

    def build(value: str) -> dict[str, Any]:
        body = {"signalType": "ImagePDQ", "hashValue": value, "contentId": "post-1", **fields}
        return {name: v for name, v in body.items() if v is not ...}

    return build


def pdq(value: str, quality: Any = 90, **extra: Any) -> dict[str, Any]:
    return {"signalType": "ImagePDQ", "hashValue": value, "quality": quality, **extra}


def md5(n: int) -> dict[str, Any]:
    return {"signalType": "VideoMD5", "hashValue": format(n, "032x")}


def case(*hashes: Callable[[str], dict[str, Any]], **fields: Any) -> Body:
    return lambda value: {"hashes": [h(value) for h in hashes], **fields}


def too_many_hashes(value: str) -> dict[str, Any]:
    return {"hashes": [md5(n) for n in range(settings.NCII_MAX_HASHES_PER_CASE + 1)]}


def oversized(valid: Body) -> Body:
    """A valid body padded with JSON whitespace to just over the 1 MB limit: only its size
    is wrong."""

    def build(value: str) -> Raw:
        padding = " " * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Raw((json.dumps(valid(value)) + padding).encode())

    return build


BAD_MATCHES = [
    pytest.param(report(hashValue="z" * 64), 400, "invalid_hash", id="hex-not-hex"),
    pytest.param(lambda v: report(hashValue=v[:-1])(v), 400, "invalid_hash", id="hex-63-digits"),
    pytest.param(lambda v: report(hashValue=v + "0")(v), 400, "invalid", id="hex-65-digits"),
    pytest.param(report(signalType="VideoMD5"), 400, "invalid_hash", id="pdq-length-for-md5"),
    pytest.param(report(hashValue=""), 400, "invalid", id="hash-empty"),
    pytest.param(report(signalType="ImageMD5"), 400, "invalid", id="signal-type-unknown"),
    pytest.param(report(signalType="imagepdq"), 400, "invalid", id="signal-type-wrong-case"),
    pytest.param(report(hashValue=...), 400, "invalid", id="missing-hashValue"),
    pytest.param(report(contentId=...), 400, "invalid", id="missing-contentId"),
    pytest.param(report(signalType=...), 400, "invalid", id="missing-signalType"),
    pytest.param(lambda v: {}, 400, "invalid", id="empty-object"),
    pytest.param(report(hashvalue="00" * 32), 400, "invalid", id="unknown-field-typo"),
    pytest.param(report(hashValue=12345), 400, "invalid", id="number-for-hashValue"),
    pytest.param(report(contentId=42), 400, "invalid", id="number-for-contentId"),
    pytest.param(report(contentId=True), 400, "invalid", id="bool-for-contentId"),
    pytest.param(report(signalType=["ImagePDQ"]), 400, "invalid", id="list-for-signalType"),
    pytest.param(report(hashValue=None), 400, "invalid", id="null-hashValue"),
    pytest.param(report(context=None), 400, "invalid", id="null-context"),
    pytest.param(report(contentId="a\u0000b"), 400, "invalid", id="nul-char-in-contentId"),
    pytest.param(report(contentId="x" * 256), 400, "invalid", id="contentId-too-long"),
    pytest.param(report(context="x" * 2001), 400, "invalid", id="context-too-long"),
    pytest.param(lambda v: [report()(v)], 400, "invalid", id="list-as-body"),
    pytest.param(lambda v: None, 400, "invalid", id="null-body"),
    pytest.param(lambda v: "ImagePDQ", 400, "invalid", id="string-as-body"),
    pytest.param(lambda v: Raw(b'{"signalType": "ImagePDQ",'), 400, "malformed_json", id="invalid-json"),
    pytest.param(lambda v: Raw(b"\xff\xfe{}"), 400, "malformed_json", id="not-utf8"),
    pytest.param(lambda v: Raw(b'{"x": NaN}'), 400, "malformed_json", id="json-nan"),
    pytest.param(oversized(report()), 413, "too_large", id="oversized-body"),
]

BAD_CASES = [
    pytest.param(case(), 400, "invalid", id="empty-hash-list"),
    pytest.param(lambda v: {}, 400, "invalid", id="missing-hashes"),
    pytest.param(lambda v: {"hashes": None}, 400, "invalid", id="null-hashes"),
    pytest.param(lambda v: {"hashes": pdq(v)}, 400, "invalid", id="object-for-hashes"),
    pytest.param(too_many_hashes, 400, "invalid", id="too-many-hashes"),
    pytest.param(case(pdq, pdq), 400, "duplicate_hash", id="duplicate-hashes"),
    pytest.param(
        lambda v: {"hashes": [pdq(v), pdq(v.upper())]},
        400,
        "duplicate_hash",
        id="duplicate-upper-and-lower-case",
    ),
    pytest.param(case(lambda v: pdq(v, 49)), 400, "invalid_hash", id="quality-below-50"),
    pytest.param(case(lambda v: pdq(v, 101)), 400, "invalid", id="quality-above-100"),
    pytest.param(case(lambda v: pdq(v, -1)), 400, "invalid", id="quality-negative"),
    pytest.param(case(lambda v: pdq(v, "90")), 400, "invalid", id="string-for-quality"),
    pytest.param(case(lambda v: pdq(v, True)), 400, "invalid", id="bool-for-quality"),
    pytest.param(case(lambda v: pdq(v, 90.5)), 400, "invalid", id="float-for-quality"),
    pytest.param(case(lambda v: pdq(v, None)), 400, "invalid_hash", id="pdq-without-quality"),
    pytest.param(case(lambda v: pdq("g" * 64)), 400, "invalid_hash", id="hex-not-hex"),
    pytest.param(case(lambda v: pdq(v[:40])), 400, "invalid_hash", id="hex-wrong-length"),
    pytest.param(case(lambda v: pdq(12345)), 400, "invalid", id="number-for-hashValue"),
    pytest.param(case(lambda v: pdq(v, signalType="PhotoDNA")), 400, "invalid", id="signal-type-unknown"),
    pytest.param(case(lambda v: pdq(v, source="camera")), 400, "invalid", id="unknown-field-in-hash"),
    pytest.param(case(pdq, email="me@example.com"), 400, "invalid", id="unknown-top-level-field"),
    pytest.param(lambda v: {"hashes": [pdq(v), None]}, 400, "invalid", id="null-hash-entry"),
    pytest.param(lambda v: {"hashes": [pdq(v), 7]}, 400, "invalid", id="number-hash-entry"),
    pytest.param(lambda v: [pdq(v)], 400, "invalid", id="list-as-body"),
    pytest.param(lambda v: None, 400, "invalid", id="null-body"),
    pytest.param(lambda v: Raw(b'{"hashes": [}'), 400, "malformed_json", id="invalid-json"),
    pytest.param(oversized(case(pdq)), 413, "too_large", id="oversized-body"),
]


@pytest.fixture
def api_key(db) -> str:  # type: ignore[no-untyped-def]
    _, keys = partner_with_keys("acme")
    return keys.api_key


@pytest.fixture
def bank_value(db) -> str:  # type: ignore[no-untyped-def]
    return BankHashFactory().value


def test_the_valid_requests_these_are_built_from_are_accepted(client, api_key, bank_value):
    assert post_json(client, MATCHES, report()(bank_value), **bearer(api_key)).status_code == 202
    assert post_json(client, CASES, case(pdq)(bank_value)).status_code == 201


@pytest.mark.parametrize(("body", "status", "code"), BAD_MATCHES)
def test_bad_match_report_is_refused_and_writes_nothing(client, api_key, bank_value, body, status, code):
    before = row_counts()

    response = post_json(client, MATCHES, body(bank_value), **bearer(api_key))

    assert_error(response, status, code)
    assert row_counts() == before


@pytest.mark.parametrize(("body", "status", "code"), BAD_CASES)
def test_bad_case_is_refused_and_writes_nothing(client, bank_value, body, status, code):
    before = row_counts()

    response = post_json(client, CASES, body(bank_value))

    assert_error(response, status, code)
    assert row_counts() == before


def test_a_case_of_exactly_the_maximum_number_of_hashes_is_accepted(client, db):
    hashes = [md5(n) for n in range(settings.NCII_MAX_HASHES_PER_CASE)]

    response = post_json(client, CASES, {"hashes": hashes})

    assert response.status_code == 201, response.content


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_refused(client, api_key, bank_value, content_type):
    before = row_counts()

    response = client.post(MATCHES, json.dumps(report()(bank_value)), content_type=content_type, **bearer(api_key))

    assert_error(response, 415, "unsupported_media_type")
    assert row_counts() == before


# --- partner credentials --------------------------------------------------------------------


def _revoke(partner: Partner) -> None:
    PartnerKey.objects.filter(partner=partner, kind=PartnerKey.Kind.API).update(revoked_at=timezone.now())


BAD_AUTH = [
    pytest.param(lambda keys: {}, id="missing"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": ""}, id="empty"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": "Bearer"}, id="bearer-without-key"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": "Bearer   "}, id="bearer-blank-key"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": f"Basic {keys.api_key}"}, id="basic-scheme"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": f"Token {keys.api_key}"}, id="token-scheme"),
    pytest.param(lambda keys: {"HTTP_AUTHORIZATION": keys.api_key}, id="key-without-scheme"),
    pytest.param(lambda keys: bearer("ncii_" + "x" * 43), id="unknown-key"),
    pytest.param(lambda keys: bearer(keys.api_key + "x"), id="key-with-extra-char"),
    pytest.param(lambda keys: bearer("k" * 5000), id="huge-key"),
    pytest.param(lambda keys: bearer(keys.subscription_key), id="subscription-key-as-bearer"),
    pytest.param(lambda keys: bearer(keys.function_keys["FetchHashes"]), id="function-key-as-bearer"),
]


@pytest.mark.parametrize("headers", BAD_AUTH)
def test_bad_credentials_are_401_and_write_nothing(client, bank_value, headers):
    _, keys = partner_with_keys("acme")
    before = row_counts()

    response = post_json(client, MATCHES, report()(bank_value), **headers(keys))

    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert row_counts() == before


def test_a_revoked_key_is_401_and_writes_nothing(client, bank_value):
    partner, keys = partner_with_keys("acme")
    _revoke(partner)
    before = row_counts()

    response = post_json(client, MATCHES, report()(bank_value), **bearer(keys.api_key))

    assert_error(response, 401, "unauthorized")
    assert row_counts() == before


def test_a_suspended_partner_is_403_and_writes_nothing(client, bank_value):
    partner, keys = partner_with_keys("acme")
    partner_set_status(partner_id=partner.pk, status="suspended", actor=Actor.system(), reason="abuse")
    before = row_counts()

    response = post_json(client, MATCHES, report()(bank_value), **bearer(keys.api_key))

    assert_error(response, 403, "partner_suspended")
    assert row_counts() == before


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda keys: {}, id="missing"),
        pytest.param(lambda keys: bearer(keys.subscription_key), id="subscription-key-as-bearer"),
    ],
)
def test_reading_a_report_needs_an_api_key_too(client, headers):
    partner, keys = partner_with_keys("acme")
    report_id = report_for(partner, BankHashFactory()).pk

    response = client.get(f"{MATCHES}/{report_id}", **headers(keys))

    assert_error(response, 401, "unauthorized")
