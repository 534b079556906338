"""GET /v1/FetchHashes, the StopNCII-compatible exchange: who may call it, which query
strings it refuses, and what a partner walking the bank page by page receives."""

import pytest

from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.exchange_selectors import epoch_seconds
from partners.services import partner_set_status
from tests.api_helpers import FETCH, assert_error
from tests.factories import BankHashFactory, partner_with_keys, random_pdq

pytestmark = pytest.mark.django_db


def stopncii(subscription: str | None, function: str | None) -> dict[str, str]:
    headers = {}
    if subscription is not None:
        headers["HTTP_OCP_APIM_SUBSCRIPTION_KEY"] = subscription
    if function is not None:
        headers["HTTP_X_FUNCTIONS_KEY"] = function
    return headers


@pytest.fixture
def acme(db):  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")


@pytest.fixture
def fetch(client, acme):  # type: ignore[no-untyped-def]
    """GET FetchHashes with acme's valid keys and these query parameters."""
    _, keys = acme
    headers = stopncii(keys.subscription_key, keys.function_keys["FetchHashes"])

    def get(**params: object):  # type: ignore[no-untyped-def]
        return client.get(FETCH, {k: str(v) for k, v in params.items()}, **headers)

    return get


# --- credentials ----------------------------------------------------------------------------


def test_valid_keys_are_accepted(fetch):
    response = fetch(startTimestamp=0)

    assert response.status_code == 200
    assert set(response.json()) == {
        "count",
        "nextPageToken",
        "nextSetTimestamp",
        "hasMoreRecords",
        "hashRecords",
    }


BAD_KEYS = [
    pytest.param(lambda mine, theirs: stopncii(None, None), id="no-headers"),
    pytest.param(lambda mine, theirs: stopncii(mine.subscription_key, None), id="no-function-key"),
    pytest.param(
        lambda mine, theirs: stopncii(None, mine.function_keys["FetchHashes"]),
        id="no-subscription-key",
    ),
    pytest.param(
        lambda mine, theirs: stopncii("", mine.function_keys["FetchHashes"]),
        id="empty-subscription-key",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.subscription_key, mine.function_keys["SubmitFeedback"]),
        id="submitfeedback-key-on-fetchhashes",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.subscription_key, mine.function_keys["SubmitHashes"]),
        id="submithashes-key-on-fetchhashes",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.subscription_key, mine.api_key),
        id="api-key-as-function-key",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.function_keys["FetchHashes"], mine.function_keys["FetchHashes"]),
        id="function-key-as-subscription-key",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.subscription_key, theirs.function_keys["FetchHashes"]),
        id="two-partners-keys-mixed",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(theirs.subscription_key, mine.function_keys["FetchHashes"]),
        id="two-partners-keys-mixed-other-way",
    ),
    pytest.param(
        lambda mine, theirs: stopncii(mine.subscription_key, "ncii_" + "x" * 43),
        id="unknown-function-key",
    ),
    pytest.param(
        lambda mine, theirs: {"HTTP_AUTHORIZATION": f"Bearer {mine.api_key}"},
        id="bearer-api-key-instead",
    ),
]


@pytest.mark.parametrize("headers", BAD_KEYS)
def test_missing_or_wrong_keys_are_401(client, acme, headers):
    _, mine = acme
    _, theirs = partner_with_keys("other")

    response = client.get(FETCH, {"startTimestamp": "0"}, **headers(mine, theirs))

    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"]


def test_a_suspended_partner_is_403(fetch, acme):
    partner, _ = acme
    partner_set_status(partner_id=partner.pk, status="suspended", actor=Actor.system(), reason="abuse")

    assert_error(fetch(startTimestamp=0), 403, "partner_suspended")


def test_a_reinstated_partner_may_fetch_again(fetch, acme):
    partner, _ = acme
    partner_set_status(partner_id=partner.pk, status="suspended", actor=Actor.system(), reason="abuse")
    partner_set_status(partner_id=partner.pk, status="active", actor=Actor.system(), reason="resolved")

    assert fetch(startTimestamp=0).status_code == 200


# --- query strings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-startTimestamp"),
        pytest.param({"startTimestamp": ""}, id="empty-startTimestamp"),
        pytest.param({"startTimestamp": -1}, id="negative-startTimestamp"),
        pytest.param({"startTimestamp": "abc"}, id="word-startTimestamp"),
        pytest.param({"startTimestamp": "1.5"}, id="decimal-startTimestamp"),
        pytest.param({"startTimestamp": "1e9"}, id="exponent-startTimestamp"),
        pytest.param({"startTimestamp": "\u00b2"}, id="superscript-digit-startTimestamp"),
        pytest.param({"startTimestamp": 10**15 - 1}, id="far-future-startTimestamp"),
        pytest.param({"startTimestamp": 0, "pageSize": 0}, id="zero-pageSize"),
        pytest.param({"startTimestamp": 0, "pageSize": -10}, id="negative-pageSize"),
        pytest.param({"startTimestamp": 0, "pageSize": "ten"}, id="word-pageSize"),
        pytest.param({"startTimestamp": 0, "pageSize": "2.5"}, id="decimal-pageSize"),
        pytest.param({"startTimestamp": 0, "pageSize": "\u00b3"}, id="superscript-digit-pageSize"),
    ],
)
def test_bad_query_parameters_are_400(fetch, params):
    BankHashFactory()

    assert_error(fetch(**params), 400, "invalid")


def test_a_start_timestamp_in_the_future_returns_nothing_yet(fetch):
    BankHashFactory()

    body = fetch(startTimestamp=4_000_000_000).json()

    assert (body["count"], body["hashRecords"], body["hasMoreRecords"]) == (0, [], False)
    assert body["nextSetTimestamp"] == 4_000_000_000


def test_a_forged_page_token_is_400(fetch):
    for _ in range(3):
        BankHashFactory()
    token = fetch(startTimestamp=0, pageSize=1).json()["nextPageToken"]
    payload, _, signature = token.rpartition(":")
    tampered = payload + ":" + ("A" if signature[0] != "A" else "B") + signature[1:]

    for forged in ["forged", tampered, "WzAsMCwwXQ:1abcde:not-a-signature"]:
        assert_error(fetch(startTimestamp=0, pageSize=1, nextPageToken=forged), 400, "invalid_page_token")


def test_a_page_token_only_continues_its_own_walk(fetch):
    for _ in range(3):
        BankHashFactory()
    token = fetch(startTimestamp=0, pageSize=1).json()["nextPageToken"]

    response = fetch(startTimestamp=1, pageSize=1, nextPageToken=token)

    assert_error(response, 400, "invalid_page_token")


# --- walking the bank -----------------------------------------------------------------------


def test_walking_25_hashes_in_pages_of_10_returns_each_once(fetch):
    rows = [BankHashFactory() for _ in range(25)]
    start = epoch_seconds(min(row.modified_at for row in rows))
    pages, token = [], None
    for _ in range(4):  # one more than needed: a walk that never ends fails below
        params = {"startTimestamp": start, "pageSize": 10}
        if token:
            params["nextPageToken"] = token
        response = fetch(**params)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        token = pages[-1]["nextPageToken"]
        if not pages[-1]["hasMoreRecords"]:
            break

    assert [p["count"] for p in pages] == [10, 10, 5]
    assert [len(p["hashRecords"]) for p in pages] == [10, 10, 5]
    assert [p["hasMoreRecords"] for p in pages] == [True, True, False]
    assert pages[-1]["nextPageToken"] is None
    assert all(p["nextPageToken"] for p in pages[:-1])
    seen = [r["hashValue"] for p in pages for r in p["hashRecords"]]
    assert sorted(seen) == sorted(row.value for row in rows)
    checkpoints = [p["nextSetTimestamp"] for p in pages]
    assert checkpoints == sorted(checkpoints)
    assert all(c >= start for c in checkpoints)


RECORD_KEYS = {
    "lastModtimestamp",
    "signalType",
    "hashValue",
    "hashStatus",
    "caseNumbers",
    "CSPFeedbacks",
}


def _record(body: dict, value: str) -> dict:  # type: ignore[type-arg]
    (record,) = [r for r in body["hashRecords"] if r["hashValue"] == value]
    return record


def test_records_name_the_case_reference_never_the_victims_case_number(fetch):
    value = random_pdq()
    case, pin = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())

    response = fetch(startTimestamp=0)

    record = _record(response.json(), value)
    assert set(record) == RECORD_KEYS
    assert (record["signalType"], record["hashStatus"]) == ("ImagePDQ", "Active")
    assert record["caseNumbers"] == {case.reference: "Active"}
    assert case.number not in record["caseNumbers"]
    assert case.number not in response.content.decode()
    assert pin not in response.content.decode()


def test_a_withdrawal_reaches_a_partner_fetching_from_its_checkpoint(fetch):
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    first = fetch(startTimestamp=0).json()
    assert _record(first, value)["hashStatus"] == "Active"

    case_withdraw(case_id=case.pk, actor=Actor.public(), reason="no longer needed")
    later = fetch(startTimestamp=first["nextSetTimestamp"]).json()

    record = _record(later, value)
    assert record["hashStatus"] == "Withdrawn"
    assert record["caseNumbers"] == {case.reference: "Withdrawn"}
    assert record["lastModtimestamp"] >= first["nextSetTimestamp"]
