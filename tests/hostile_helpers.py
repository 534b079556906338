"""What the hostile-input tests send to: every public and partner endpoint with a body it
accepts, the tokens no JSON endpoint may take, and a count of every row the hub writes."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.core.cache import cache
from django.test import Client

from tests.factories import BankHashFactory, partner_with_keys

HUB_APPS = ("audit", "cases", "matching", "moderation", "accounts")
PDQ = "f" * 32 + "0" * 32


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    auth: str  # "none", "bearer" or a StopNCII function name
    valid: Callable[[str], Any]  # the bank hash's value -> a body the endpoint accepts
    form: bool = False  # an HTML page posting a form, not a JSON API


ENDPOINTS = [
    Endpoint(
        "POST",
        "/api/v1/cases",
        "none",
        lambda v: {"hashes": [{"signalType": "ImagePDQ", "hashValue": v, "quality": 90}]},
    ),
    Endpoint("POST", "/api/v1/cases/status", "none", lambda v: {"caseNumber": "NC-ABCD-EFGH-JKMN", "pin": "12345678"}),
    Endpoint(
        "POST", "/api/v1/cases/withdraw", "none", lambda v: {"caseNumber": "NC-ABCD-EFGH-JKMN", "pin": "12345678"}
    ),
    Endpoint("POST", "/cases/check/", "none", lambda v: {"number": "NC-ABCD-EFGH-JKMN", "pin": "12345678"}, form=True),
    Endpoint(
        "POST",
        "/cases/withdraw/",
        "none",
        lambda v: {"number": "NC-ABCD-EFGH-JKMN", "pin": "12345678", "confirm": "on"},
        form=True,
    ),
    Endpoint("POST", "/cases/new/", "none", lambda v: {"age": "adult", "in_images": "on"}, form=True),
    Endpoint(
        "POST", "/api/v1/matches", "bearer", lambda v: {"signalType": "ImagePDQ", "hashValue": v, "contentId": "c-1"}
    ),
    Endpoint("GET", "/api/v1/matches/1", "bearer", lambda v: {}),
    Endpoint("POST", "/api/v1/lookup", "bearer", lambda v: {"signalType": "ImagePDQ", "hashes": [v]}),
    Endpoint("GET", "/v1/FetchHashes?startTimestamp=0", "FetchHashes", lambda v: {}),
    Endpoint(
        "POST",
        "/v1/SubmitFeedback",
        "SubmitFeedback",
        lambda v: {"count": 1, "hashFeedbacks": [{"hashValue": v, "feedbackValue": "Blocked", "tags": ["t"]}]},
    ),
    Endpoint(
        "POST",
        "/v1/SubmitHashes",
        "SubmitHashes",
        lambda v: {"count": 1, "hashRecords": [{"signalType": "VideoMD5", "hashValue": "0" * 32}]},
    ),
]

# Values no JSON endpoint may take wherever they appear (the parser refuses them).
UNPARSABLE = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1e999",
    b"9" * 5000,  # past Python's 4,300-digit limit
    b"18446744073709551616",  # 2**64
    b'"\\ud800"',  # a lone surrogate
    b"[" * 100_000,
    b'{"a":' * 50_000,
]
# Valid JSON the endpoints must refuse as input (wrong type, NUL, a megabyte string, nesting).
WRONG = [b"null", b"true", b"[]", b"{}", b"-1", b"0.5", b'"\\u0000"', b'"a\\u0000b"', b'"' + b"x" * 1_000_000 + b'"']
WRONG += [b"[" * 17 + b"]" * 17, b'"\\ud83d\\ude00"', b'"' + "é".encode() * 1000 + b'"']


SLOT = "\u2603slot\u2603"


def _leaves(value: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every scalar in ``value``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    out: list[tuple[Any, Any]] = []
    for key, child in items:
        out.extend(_leaves(child) if isinstance(child, dict | list) else [(value, key)])
    return out


def splice(valid: Any, token: bytes, index: int) -> bytes:
    """The JSON of ``valid`` with its ``index``-th scalar replaced by ``token``, raw."""
    body = json.loads(json.dumps(valid))
    leaves = _leaves(body)
    if not leaves:
        return token
    container, key = leaves[index % len(leaves)]
    container[key] = SLOT
    return json.dumps(body).encode().replace(json.dumps(SLOT).encode(), token)


def world_make() -> dict[str, Any]:
    """A partner's credentials per endpoint kind, and a bank hash the valid bodies name."""
    _, keys = partner_with_keys("fuzzer")
    auth: dict[str, dict[str, str]] = {"none": {}, "bearer": {"HTTP_AUTHORIZATION": f"Bearer {keys.api_key}"}}
    for function, key in keys.function_keys.items():
        auth[function] = {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key, "HTTP_X_FUNCTIONS_KEY": key}
    return {"auth": auth, "bank": BankHashFactory(value=PDQ).value}


def row_counts() -> dict[str, int]:
    models = [m for label in HUB_APPS for m in apps.get_app_config(label).get_models()]
    return {model.__name__: model.objects.count() for model in models}


def send(endpoint: Endpoint, world: dict[str, Any], body: bytes, headers: dict[str, str]) -> Any:
    cache.clear()  # PIN locks and throttles: every example starts fresh
    content_type = "application/x-www-form-urlencoded" if endpoint.form else "application/json"
    meta = {**world["auth"][endpoint.auth], **headers}
    meta.setdefault("CONTENT_TYPE", content_type)
    return Client().generic(endpoint.method, endpoint.path, body, meta.pop("CONTENT_TYPE"), **meta)


def encode(endpoint: Endpoint, body: Any) -> bytes:
    return urlencode(body).encode() if endpoint.form else json.dumps(body).encode()
