import hashlib

import pytest
from django.test import Client

from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from tests.api_helpers import assert_error, bearer, post_json
from tests.factories import BankHashFactory, flip_bits, random_pdq

LOOKUP = "/api/v1/lookup"


@pytest.fixture
def lookup(partner_keys):
    _, keys = partner_keys
    client = Client()
    return lambda body: post_json(client, LOOKUP, body, **bearer(keys.api_key))


def test_one_result_per_input_in_input_order_with_distances(lookup):
    near, far = BankHashFactory(), BankHashFactory()
    queries = [random_pdq(), flip_bits(near.value, 31).upper(), far.value, flip_bits(near.value, 32)]
    body = lookup({"signalType": "ImagePDQ", "hashes": queries}).json()
    assert [r["hashValue"] for r in body["results"]] == queries
    core = ("hashValue", "distance", "hashStatus")
    assert [[{k: m[k] for k in core} for m in r["matches"]] for r in body["results"]] == [
        [],
        [{"hashValue": near.value, "distance": 31, "hashStatus": "Active"}],
        [{"hashValue": far.value, "distance": 0, "hashStatus": "Active"}],
        [],
    ]


def test_several_matches_come_nearest_first(lookup):
    base = random_pdq()
    a = BankHashFactory(value=flip_bits(base, 10))
    b = BankHashFactory(value=flip_bits(base, 2))
    matches = lookup({"signalType": "ImagePDQ", "hashes": [base]}).json()["results"][0]["matches"]
    assert [(m["hashValue"], m["distance"]) for m in matches] == [(b.value, 2), (a.value, 10)]


def test_withdrawn_hashes_do_not_match(lookup):
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    assert lookup({"signalType": "ImagePDQ", "hashes": [value]}).json()["results"][0]["matches"]
    case_withdraw(case_id=case.pk, actor=Actor.public())
    assert lookup({"signalType": "ImagePDQ", "hashes": [value]}).json()["results"][0]["matches"] == []


def test_md5_matches_exactly(lookup):
    value = hashlib.md5(b"video").hexdigest()  # noqa: S324
    BankHashFactory(signal_type="VideoMD5", value=value, quality=None)
    other = value[:-1] + ("0" if value[-1] != "0" else "1")
    results = lookup({"signalType": "VideoMD5", "hashes": [value, other]}).json()["results"]
    assert [len(r["matches"]) for r in results] == [1, 0]


def test_a_thousand_hashes_in_one_call(lookup):
    bank = BankHashFactory.create_batch(5)
    hashes = [random_pdq() for _ in range(995)] + [b.value for b in bank]
    results = lookup({"signalType": "ImagePDQ", "hashes": hashes}).json()["results"]
    assert len(results) == 1000 and sum(bool(r["matches"]) for r in results) == 5


@pytest.mark.parametrize(
    "body",
    [
        {"signalType": "ImagePDQ", "hashes": []},
        {"signalType": "ImagePDQ", "hashes": ["a" * 64] * 1001},
        {"signalType": "ImagePDQ", "hashes": ["xyz"]},
        {"signalType": "ImagePDQ", "hashes": ["g" * 64]},
        {"signalType": "VideoMD5", "hashes": ["a" * 64]},
        {"signalType": "VideoTMK", "hashes": ["a" * 64]},
        {"signalType": "ImagePDQ", "hashes": "a" * 64},
        {"signalType": "ImagePDQ", "hashes": [123]},
        {"signalType": "ImagePDQ"},
        {"signalType": "ImagePDQ", "hashes": ["a" * 64], "radius": 40},
    ],
)
def test_bad_lookups_are_400(lookup, body):
    assert_error(lookup(body), 400)


def test_lookup_needs_a_partner_key(db):
    assert_error(post_json(Client(), LOOKUP, {"signalType": "ImagePDQ", "hashes": ["a" * 64]}), 401)
