"""The strict JSON parser (400 malformed_json, never a 500) and the FetchHashes page token
checked field by field even when validly signed (issue 10, section 3)."""

import json

import pytest
from django.core import signing

from ncii_site.json_parser import Malformed, loads_strict
from tests.api_helpers import FETCH, Raw, assert_error, post_json
from tests.factories import partner_with_keys
from tests.hostile_helpers import ENDPOINTS, UNPARSABLE, row_counts, send, splice, world_make

JSON_ENDPOINTS = [e for e in ENDPOINTS if e.method == "POST" and not e.form]
DEPTH = 16  # NCII_JSON_MAX_DEPTH's default


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# --- the parser alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        *UNPARSABLE,
        b'{"a": 1, "a": 2}',
        b'[{"k": 1, "k": 1}]',
        b"\xef\xbb\xbf{}",
        '{"a": "é"}'.encode("latin-1"),
        '{"a": 1}'.encode("utf-16"),
        b'{"a": "\\udc00x"}',
        b'{"\\ud800": 1}',
        nested(DEPTH + 1),
        b'{"a": NaN}',
        b"[1e400]",
        b"-9223372036854775809",
        b"",
        b"{",
    ],
)
def test_the_parser_refuses_hostile_json(raw):
    with pytest.raises(ValueError):
        loads_strict(raw, max_depth=DEPTH)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (nested(DEPTH), json.loads(nested(DEPTH))),
        (b"9223372036854775807", 2**63 - 1),
        (b"-9223372036854775808", -(2**63)),
        (b"1.7976931348623157e308", 1.7976931348623157e308),
        (b'"\\ud83d\\ude00 \\u00e9"', "\U0001f600 é"),
        ('{"a": "é", "b": [1, {"c": null}]}'.encode(), {"a": "é", "b": [1, {"c": None}]}),
    ],
)
def test_the_parser_takes_json_just_inside_every_limit(raw, value):
    assert loads_strict(raw, max_depth=DEPTH) == value


def test_the_depth_limit_counts_objects_and_arrays_alike():
    body = b'{"a":' * DEPTH + b"1" + b"}" * DEPTH
    assert loads_strict(body, max_depth=DEPTH)
    with pytest.raises(Malformed, match="nested deeper"):
        loads_strict(b"[" + body + b"]", max_depth=DEPTH)


# --- through every JSON endpoint -----------------------------------------------------------


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    return world_make()


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS, ids=lambda e: e.path)
@pytest.mark.parametrize("token", UNPARSABLE, ids=lambda t: t[:12].decode())
def test_every_json_endpoint_answers_400_malformed_json(world, endpoint, token):
    before = row_counts()
    for body in (token, splice(endpoint.valid(world["bank"]), token, 0)):
        assert_error(send(endpoint, world, body, {}), 400, "malformed_json")
    assert row_counts() == before


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS, ids=lambda e: e.path)
@pytest.mark.parametrize(
    ("headers", "encode"),
    [
        ({}, lambda text: b"\xef\xbb\xbf" + text),
        ({"CONTENT_TYPE": "application/json; charset=utf-16"}, lambda text: text.decode().encode("utf-16")),
        ({"CONTENT_TYPE": "application/json; charset=latin-1"}, lambda text: text),
        ({"CONTENT_TYPE": "application/json; charset=no-such-codec"}, lambda text: text),
        ({}, lambda text: b'{"dup": 1, "dup": 1, ' + text[1:]),
    ],
    ids=["bom", "utf-16", "latin-1", "unknown-charset", "duplicate-key"],
)
def test_a_valid_body_in_the_wrong_encoding_is_malformed(world, endpoint, headers, encode):
    before = row_counts()
    body = encode(json.dumps(endpoint.valid(world["bank"])).encode())

    assert_error(send(endpoint, world, body, headers), 400, "malformed_json")
    assert row_counts() == before


def test_nesting_at_the_limit_reaches_the_serializer_and_one_more_level_does_not(client, db):
    at_limit = {"hashes": json.loads(nested(DEPTH - 1))}
    assert_error(post_json(client, "/api/v1/cases", at_limit), 400, "invalid")
    over = {"hashes": json.loads(nested(DEPTH))}
    assert_error(post_json(client, "/api/v1/cases", over), 400, "malformed_json")


def test_the_depth_limit_is_a_setting(client, db, settings):
    settings.NCII_JSON_MAX_DEPTH = 3
    body = Raw(b'{"hashes": [[[]]]}')  # four levels
    assert_error(post_json(client, "/api/v1/cases", body), 400, "malformed_json")


# --- FetchHashes page tokens ---------------------------------------------------------------


def _fetch(client, keys, token: str):  # type: ignore[no-untyped-def]
    headers = {
        "HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key,
        "HTTP_X_FUNCTIONS_KEY": keys.function_keys["FetchHashes"],
    }
    return client.get(FETCH, {"startTimestamp": 0, "nextPageToken": token}, **headers)


@pytest.mark.parametrize(
    "junk",
    [
        ["a", "b", "c"],
        [0, "x", 1],
        [0, 10**30, 1],
        [0, 1, 10**30],
        [0, -5, 1],
        [0, 1, 0],
        [0, 1, -1],
        [False, 1, 1],
        [0, 1.5, 1],
        [0, True, 1],
        [0, 1, 2**63],
        [0, 1, 1, 1],
        [0, 1],
        {"a": 1},
        None,
        "0,1,1",
        [0, [1], 1],
    ],
)
def test_a_validly_signed_token_with_junk_inside_is_400(client, db, junk):
    _, keys = partner_with_keys("acme")
    token = signing.dumps(junk, salt="ncii.exchange.page", compress=True)

    assert_error(_fetch(client, keys, token), 400, "invalid_page_token")


def test_a_token_at_the_edges_of_its_fields_is_taken(client, db):
    from matching.exchange_selectors import _MAX_US
    from ncii_site.http import MAX_DB_ID

    _, keys = partner_with_keys("acme")
    token = signing.dumps([0, _MAX_US, MAX_DB_ID], salt="ncii.exchange.page", compress=True)

    response = _fetch(client, keys, token)

    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
