"""SubmitFeedback and SubmitHashes refuse bad batches whole, and FetchHashes' bounds."""

import hashlib

import pytest
from django.test import Client

from audit.models import AuditEvent
from matching.audit_events import HASH_SUBMITTED
from matching.models import BankHash, HashFeedback, MatchReport
from tests.api_helpers import FETCH, Raw, assert_error, post_json
from tests.factories import BankHashFactory, partner_with_keys, random_pdq

pytestmark = pytest.mark.django_db
FEEDBACK, SUBMIT = "/v1/SubmitFeedback", "/v1/SubmitHashes"


@pytest.fixture
def keys(db):  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")[1]


def call(keys, endpoint: str, body: object):  # type: ignore[no-untyped-def]
    name = endpoint.rsplit("/", 1)[1]
    return post_json(
        Client(),
        endpoint,
        body,
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=keys.subscription_key,
        HTTP_X_FUNCTIONS_KEY=keys.function_keys[name],
    )


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (BankHash, HashFeedback, MatchReport, AuditEvent))


def test_feedback_is_recorded_and_the_reply_is_json(keys):
    bank_hash = BankHashFactory()
    before = bank_hash.modified_at
    response = call(
        keys,
        FEEDBACK,
        {
            "count": 1,
            "hashFeedbacks": [{"hashValue": bank_hash.value.upper(), "feedbackValue": "NotBlocked", "tags": ["adult"]}],
        },
    )
    assert (response.status_code, response.json()) == (200, {"count": 1})
    feedback = HashFeedback.objects.get()
    assert (feedback.value, feedback.tags, feedback.partner.name) == ("NotBlocked", ["adult"], "acme")
    bank_hash.refresh_from_db()
    assert bank_hash.modified_at > before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"count": 2, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Blocked", "tags": []}]},
            id="count-mismatch",
        ),
        pytest.param(
            {"count": 1, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Maybe", "tags": []}]},
            id="unknown-feedback",
        ),
        pytest.param(
            {"count": 1, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Blocked", "tags": None}]},
            id="null-tags",
        ),
        pytest.param(
            {"count": 1, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Blocked", "tags": [1]}]},
            id="number-tag",
        ),
        pytest.param(
            {"count": 1, "hashFeedbacks": [{"hashValue": "abc", "feedbackValue": "Blocked", "tags": []}]},
            id="short-hash",
        ),
        pytest.param({"count": 0, "hashFeedbacks": []}, id="empty"),
        pytest.param(
            {"count": 1, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Blocked", "x": 1}]}, id="unknown-field"
        ),
        pytest.param(
            {"count": 1001, "hashFeedbacks": [{"hashValue": "H", "feedbackValue": "Blocked", "tags": []}] * 1001},
            id="too-many",
        ),
        pytest.param(Raw(b"{"), id="invalid-json"),
    ],
)
def test_bad_feedback_is_400_and_writes_nothing(keys, body):
    bank_hash = BankHashFactory()
    if isinstance(body, dict):
        for item in body["hashFeedbacks"]:
            item["hashValue"] = bank_hash.value if item["hashValue"] == "H" else item["hashValue"]
    before = counts()
    assert_error(call(keys, FEEDBACK, body), 400)
    assert counts() == before


def test_feedback_on_an_unknown_hash_refuses_the_whole_batch(keys):
    known = BankHashFactory()
    before = counts()
    response = call(
        keys,
        FEEDBACK,
        {
            "count": 2,
            "hashFeedbacks": [
                {"hashValue": known.value, "feedbackValue": "Blocked", "tags": []},
                {"hashValue": random_pdq(), "feedbackValue": "Blocked", "tags": []},
            ],
        },
    )
    assert "hashFeedbacks.1" in assert_error(response, 404, "unknown_hash")["detail"]
    assert counts() == before


@pytest.mark.parametrize(
    ("signal_type", "value"),
    [("VideoTMK", "a" * 32), ("StopNCIISignalType.Text", "a" * 32), ("VideoMD5", "a" * 64), ("ImagePDQ", "z" * 64)],
)
def test_bad_submitted_hashes_are_400_and_write_nothing(keys, signal_type, value):
    good = {"lastModtimestamp": 1, "signalType": "ImagePDQ", "hashValue": random_pdq(), "CSPFeedbacks": []}
    bad = {"lastModtimestamp": 1, "signalType": signal_type, "hashValue": value, "CSPFeedbacks": []}
    before = counts()
    assert_error(call(keys, SUBMIT, {"count": 2, "hashRecords": [good, bad]}), 400, "invalid_hash")
    assert counts() == before


def test_submitting_a_hash_twice_keeps_one_record(keys):
    md5 = hashlib.md5(b"clip").hexdigest()  # noqa: S324
    record = {
        "lastModtimestamp": 1,
        "signalType": "VideoMD5",
        "hashValue": md5,
        "CSPFeedbacks": [{"feedbackValue": "Blocked", "tags": []}],
    }
    for _ in range(2):
        assert call(keys, SUBMIT, {"count": 1, "hashRecords": [record]}).status_code == 200
    assert BankHash.objects.filter(value=md5).count() == 1
    assert HashFeedback.objects.get().value == "Blocked"


def test_page_size_is_capped_at_the_documented_maximum(client, keys, settings):
    settings.NCII_EXCHANGE_MAX_PAGE_SIZE = 3
    BankHashFactory.create_batch(5)
    body = client.get(
        FETCH,
        {"startTimestamp": "0", "pageSize": "100"},
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=keys.subscription_key,
        HTTP_X_FUNCTIONS_KEY=keys.function_keys["FetchHashes"],
    ).json()
    assert (body["count"], body["hasMoreRecords"]) == (3, True) and body["nextPageToken"]


def test_an_expired_page_token_is_400(client, keys, settings):
    BankHashFactory.create_batch(2)
    headers = {
        "HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key,
        "HTTP_X_FUNCTIONS_KEY": keys.function_keys["FetchHashes"],
    }
    token = client.get(FETCH, {"startTimestamp": "0", "pageSize": "1"}, **headers).json()["nextPageToken"]
    settings.NCII_EXCHANGE_TOKEN_MAX_AGE = -1
    response = client.get(FETCH, {"startTimestamp": "0", "pageSize": "1", "nextPageToken": token}, **headers)
    assert "expired" in assert_error(response, 400, "invalid_page_token")["detail"]


@pytest.mark.parametrize(("status", "reviewed"), [(BankHash.Status.ACTIVE, 1), (BankHash.Status.WITHDRAWN, 0)])
def test_pending_review_feedback_queues_a_review_only_for_an_active_hash(keys, status, reviewed):
    """PendingReview enters review like POST /api/v1/matches, which matches active hashes
    only: a hash its owner withdrew makes no moderator work, though the feedback is kept."""
    bank_hash = BankHashFactory(status=status)
    feedback = {"hashValue": bank_hash.value, "feedbackValue": "PendingReview", "tags": []}
    response = call(keys, FEEDBACK, {"count": 1, "hashFeedbacks": [feedback]})
    assert (response.status_code, response.json()) == (200, {"count": 1})
    assert HashFeedback.objects.get().value == "PendingReview"
    assert MatchReport.objects.filter(bank_hash=bank_hash).count() == reviewed


def test_pending_review_submitted_with_a_hash_queues_a_review_like_submit_feedback(keys):
    value = random_pdq()
    record = {"signalType": "ImagePDQ", "hashValue": value, "CSPFeedbacks": [{"feedbackValue": "PendingReview"}]}
    response = call(keys, SUBMIT, {"count": 1, "hashRecords": [record]})
    assert response.status_code == 200
    assert MatchReport.objects.get().bank_hash == BankHash.objects.get(value=value)


def test_a_submitted_batch_is_dated_as_it_commits_not_as_it_began(keys):
    """Records stamped when the batch began could commit behind a walk's checkpoint and never
    reach partners; every record of the batch is dated after all of the batch's work."""
    records = [{"signalType": "ImagePDQ", "hashValue": random_pdq()} for _ in range(5)]
    assert call(keys, SUBMIT, {"count": 5, "hashRecords": records}).status_code == 200
    last_work = AuditEvent.objects.filter(action=HASH_SUBMITTED).order_by("-seq").first().created_at
    assert min(BankHash.objects.values_list("modified_at", flat=True)) >= last_work
