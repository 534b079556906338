"""Sandbox keys (issue 14): the same APIs answer from the sandbox bank; nothing a sandbox
key does reaches the real bank, match reports, review items or the audit trail."""

import base64
import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from audit.services import Actor
from hub.tasks import retention_purge_task
from matching.models import ReviewImage, ReviewUpload, SandboxReport
from matching.pdq import pdq_hex_from_bytes
from partners.sandbox import SANDBOX_BANK
from partners.services import sandbox_keys_issue
from partners.webhooks import webhook_endpoint_create
from tests.api_helpers import MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, flip_bits, item_open
from tests.test_authz_matrix import COLUMNS, MATRIX, ROUTES, Caller, callers  # noqa: F401  (the matrix's world)
from tests.webhook_receiver import receiver_start

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parent.parent / "docs" / "sandbox"
PICTURE_1, QUARANTINED = SANDBOX_BANK[0].value, SANDBOX_BANK[1].value
VIDEO = SANDBOX_BANK[3].value


@pytest.fixture
def sandbox(partner_keys):  # type: ignore[no-untyped-def]
    partner, real = partner_keys
    return partner, sandbox_keys_issue(partner=partner, actor=Actor.system("test")), real


def _lookup(key: str, signal_type: str, hashes: list[str]) -> list[dict]:
    body = {"signalType": signal_type, "hashes": hashes}
    response = post_json(Client(), "/api/v1/lookup", body, **bearer(key))
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("entry", SANDBOX_BANK, ids=lambda e: e.file)
def test_the_documented_test_files_hash_to_the_sandbox_bank(entry):
    data = (DOCS / entry.file).read_bytes()
    if entry.signal_type == "VideoMD5":
        assert hashlib.md5(data).hexdigest() == entry.value  # noqa: S324
    else:
        assert pdq_hex_from_bytes(data)[0] == entry.value


def test_sandbox_lookups_match_the_sandbox_bank_only(sandbox):
    _, keys, real = sandbox
    banked = BankHashFactory()
    results = _lookup(keys.api_key, "ImagePDQ", [flip_bits(PICTURE_1, 7), banked.value, QUARANTINED])
    assert [len(r["matches"]) for r in results] == [1, 0, 1]
    assert results[0]["matches"][0]["hubConfirmed"] is True and results[2]["matches"][0]["quarantined"] is True
    assert _lookup(keys.api_key, "VideoMD5", [VIDEO])[0]["matches"][0]["distance"] == 0
    assert _lookup(real.api_key, "ImagePDQ", [PICTURE_1])[0]["matches"] == []  # and the real key never sees it


def test_a_sandbox_report_is_decided_by_the_rule_and_touches_nothing_real(sandbox):
    _, keys, _ = sandbox
    before = row_counts()
    client = Client()
    kept = post_json(
        client, MATCHES, {"signalType": "ImagePDQ", "hashValue": PICTURE_1, "contentId": "p1"}, **bearer(keys.api_key)
    )
    gone = post_json(
        client,
        MATCHES,
        {"signalType": "VideoMD5", "hashValue": VIDEO, "contentId": "dismiss-me"},
        **bearer(keys.api_key),
    )
    assert (kept.status_code, kept.json()["outcome"], gone.json()["outcome"]) == (202, "confirmed", "dismissed")
    assert client.get(f"{MATCHES}/{kept.json()['id']}", **bearer(keys.api_key)).json()["sandbox"] is True
    assert row_counts() == before  # no report, item, bank hash, case or audit event
    assert SandboxReport.objects.count() == 2


def test_a_sandbox_report_of_a_real_hash_matches_nothing(sandbox):
    _, keys, _ = sandbox
    banked = BankHashFactory()
    body = {"signalType": "ImagePDQ", "hashValue": banked.value, "contentId": "x"}
    assert_error(post_json(Client(), MATCHES, body, **bearer(keys.api_key)), 422, "no_bank_match")
    assert not SandboxReport.objects.exists()


def test_reports_do_not_cross_between_sandbox_and_real_keys(sandbox):
    partner, keys, real = sandbox
    real_report = item_open(partner).memberships.get().report
    body = {"signalType": "ImagePDQ", "hashValue": PICTURE_1, "contentId": "p1"}
    sandboxed = post_json(Client(), MATCHES, body, **bearer(keys.api_key)).json()["id"]
    other = real_report.pk if real_report.pk != sandboxed else real_report.pk + 1000
    assert Client().get(f"{MATCHES}/{other}", **bearer(keys.api_key)).status_code == 404
    assert Client().get(f"{MATCHES}/{real_report.pk}", **bearer(real.api_key)).json().get("sandbox") is None


def test_a_sandbox_report_keeps_no_image_and_is_gone_after_its_period(sandbox, settings):
    _, keys, _ = sandbox
    image = base64.b64encode((DOCS / SANDBOX_BANK[0].file).read_bytes()).decode()
    body = {"signalType": "ImagePDQ", "hashValue": PICTURE_1, "contentId": "p1", "image": image}
    report_id = post_json(Client(), MATCHES, body, **bearer(keys.api_key)).json()["id"]
    assert not ReviewUpload.objects.exists() and not ReviewImage.objects.exists()
    SandboxReport.objects.update(
        received_at=timezone.now() - timedelta(seconds=settings.NCII_RETENTION_SANDBOX_REPORT_SECONDS + 1)
    )

    retention_purge_task()

    assert Client().get(f"{MATCHES}/{report_id}", **bearer(keys.api_key)).status_code == 404


def test_the_sandbox_loop_includes_webhooks(sandbox, settings, django_capture_on_commit_callbacks):
    settings.NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK, settings.NCII_WEBHOOK_ALLOWED_NETWORKS = True, ["127.0.0.0/8"]
    partner, keys, _ = sandbox
    receiver = receiver_start()
    try:
        webhook_endpoint_create(partner=partner, url=receiver.url, events=["report.decided"], actor=Actor.system())
        body = {"signalType": "ImagePDQ", "hashValue": PICTURE_1, "contentId": "p1"}
        with django_capture_on_commit_callbacks(execute=True):
            post_json(Client(), MATCHES, body, **bearer(keys.api_key))
        [got] = receiver.wait_for(1)
        data = json.loads(got.body)["data"]
        assert (data["outcome"], data["sandbox"]) == ("confirmed", True)
    finally:
        receiver.close()


def _stopncii(keys, endpoint: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key,
        "HTTP_X_FUNCTIONS_KEY": keys.function_keys[endpoint],
    }


def test_the_sandbox_exchange_serves_and_accepts_without_writing(sandbox):
    _, keys, real = sandbox
    BankHashFactory()
    client, before = Client(), row_counts()
    feed = client.get("/v1/FetchHashes?startTimestamp=0", **_stopncii(keys, "FetchHashes")).json()
    assert sorted(r["hashValue"] for r in feed["hashRecords"]) == sorted(h.value for h in SANDBOX_BANK)
    feedback = {"count": 1, "hashFeedbacks": [{"hashValue": PICTURE_1, "feedbackValue": "PendingReview"}]}
    assert post_json(client, "/v1/SubmitFeedback", feedback, **_stopncii(keys, "SubmitFeedback")).json() == {"count": 1}
    submit = {"count": 1, "hashRecords": [{"signalType": "ImagePDQ", "hashValue": flip_bits(PICTURE_1, 40)}]}
    assert post_json(client, "/v1/SubmitHashes", submit, **_stopncii(keys, "SubmitHashes")).json() == {"count": 1}
    assert row_counts() == before
    real_hash = {
        "count": 1,
        "hashFeedbacks": [{"hashValue": feed["hashRecords"][0]["hashValue"][::-1], "feedbackValue": "Blocked"}],
    }
    assert post_json(client, "/v1/SubmitFeedback", real_hash, **_stopncii(keys, "SubmitFeedback")).status_code == 404
    mixed = {
        "HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key,
        "HTTP_X_FUNCTIONS_KEY": real.function_keys["FetchHashes"],
    }
    assert client.get("/v1/FetchHashes?startTimestamp=0", **mixed).status_code in (401, 403)


SANDBOX_DIFFERS = {("match-detail", "GET"): 404}  # the own report is a real one: not the sandbox's


def test_authorization_matrix_rows_for_sandbox_keys(callers_with_sandbox):  # type: ignore[no-untyped-def]
    """Sandbox keys get what the partner's real keys get on every URL, except reading a real report."""
    own_column = COLUMNS.index("key_own")
    caller = callers_with_sandbox
    differences = {}
    for (key, method), statuses in sorted(MATRIX.items()):
        expected = SANDBOX_DIFFERS.get((key, method), statuses[own_column])
        actual = caller.status(ROUTES[key], method)
        if actual != expected:
            differences[key, method] = (expected, actual)
    assert not differences


@pytest.fixture
def callers_with_sandbox(callers):  # type: ignore[no-untyped-def]  # noqa: F811
    from partners.models import Partner

    own = Partner.objects.get(name="own")
    keys = sandbox_keys_issue(partner=own, actor=Actor.system("test"))
    return Caller(Client(), callers["key_own"].objects, keys)
