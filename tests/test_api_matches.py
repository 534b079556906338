"""POST /api/v1/matches and GET /api/v1/matches/{id}: what a partner platform sees when it
reports content that matched the bank, and what the hub stores and queues for review."""

import pytest

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.audit_events import MATCH_REPORT, REPORT_RECEIVED
from matching.models import MatchReport
from moderation.models import ReviewItem, ReviewState
from moderation.services import review_decide
from tests.api_helpers import MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, flip_bits, partner_with_keys, random_pdq

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Post a match report as the holder of ``key``; the work queued on commit (triage into
    a review item) runs before this returns, as it does after a real commit."""

    def send(key: str, hash_value: str, *, idempotency_key: str = "", **fields: str):  # type: ignore[no-untyped-def]
        body = {
            "signalType": "ImagePDQ",
            "hashValue": hash_value,
            "contentId": "content-1",
            **fields,
        }
        headers = bearer(key)
        if idempotency_key:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        with django_capture_on_commit_callbacks(execute=True):
            return post_json(client, MATCHES, body, **headers)

    return send


def md5_flip_lowest_bit(hex_value: str) -> str:
    return format(int(hex_value, 16) ^ 1, "032x")


# --- the happy path -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_report_is_accepted_stored_audited_and_already_in_review(client):
    partner, keys = partner_with_keys("acme")
    bank = BankHashFactory()

    response = post_json(
        client,
        MATCHES,
        {
            "signalType": "ImagePDQ",
            "hashValue": bank.value,
            "contentId": "post/77",
            "context": "profile photo",
        },
        **bearer(keys.api_key),
    )

    assert response.status_code == 202, response.content
    body = response.json()
    report = MatchReport.objects.get()
    assert body["id"] == report.pk
    assert body["status"] == "received"
    assert (body["signalType"], body["hashValue"], body["contentId"]) == (
        "ImagePDQ",
        bank.value,
        "post/77",
    )
    assert body["distance"] == 0
    assert body["bankHash"] == {
        "bankHashId": str(report.bank_hash.public_id),
        "signalType": "ImagePDQ",
        "hashValue": bank.value,
        "hashStatus": "Active",
    }
    assert (body["outcome"], body["decidedAt"]) == ("pending", None)
    assert body["receivedAt"]
    assert (report.partner, report.bank_hash, report.content_id, report.context) == (
        partner,
        bank,
        "post/77",
        "profile photo",
    )
    # Tasks run in-process when no broker is set: the report was triaged on commit.
    item = ReviewItem.objects.get()
    assert (item.bank_hash, item.state, item.report_count) == (bank, ReviewState.PENDING, 1)
    assert report in MatchReport.objects.filter(membership__item=item)
    event = AuditEvent.objects.get(action=REPORT_RECEIVED)
    assert (event.actor_type, event.actor_partner_id) == ("partner", partner.pk)
    assert (event.object_type, event.object_id) == (MATCH_REPORT, str(report.pk))


def test_report_is_triaged_into_a_review_item(partner_keys, report):
    _, keys = partner_keys
    bank = BankHashFactory()

    response = report(keys.api_key, bank.value)

    assert response.status_code == 202
    item = ReviewItem.objects.get(bank_hash=bank)
    assert item.memberships.get().report_id == response.json()["id"]
    assert MatchReport.objects.get().status == MatchReport.Status.PROCESSED


# --- what matches -------------------------------------------------------------------------


@pytest.mark.parametrize(("distance", "matches"), [(0, True), (31, True), (32, False), (64, False)])
def test_pdq_matches_within_hamming_distance_31(partner_keys, report, distance, matches):
    _, keys = partner_keys
    bank = BankHashFactory()

    response = report(keys.api_key, flip_bits(bank.value, distance))

    if matches:
        assert response.status_code == 202, response.content
        assert response.json()["distance"] == distance
        assert MatchReport.objects.get().bank_hash == bank
    else:
        assert_error(response, 422, "no_bank_match")
        assert MatchReport.objects.count() == 0


def test_md5_matches_only_exactly(partner_keys, report):
    _, keys = partner_keys
    bank = BankHashFactory(signal_type="VideoMD5", value="0123456789abcdef0123456789abcdef", quality=None)

    near = report(keys.api_key, md5_flip_lowest_bit(bank.value), signalType="VideoMD5")
    exact = report(keys.api_key, bank.value, signalType="VideoMD5", contentId="video-2")

    assert_error(near, 422, "no_bank_match")
    assert exact.status_code == 202
    assert exact.json()["distance"] == 0
    assert MatchReport.objects.get().content_id == "video-2"


@pytest.mark.parametrize(
    ("signal_type", "value"),
    [("ImagePDQ", "ab" * 32), ("VideoMD5", "cd" * 16)],
)
def test_upper_case_hex_is_normalised_to_lower_case(partner_keys, report, signal_type, value):
    _, keys = partner_keys
    BankHashFactory(signal_type=signal_type, value=value)

    response = report(keys.api_key, value.upper(), signalType=signal_type)

    assert response.status_code == 202, response.content
    assert response.json()["hashValue"] == value
    assert MatchReport.objects.get().hash_value == value


def test_withdrawn_bank_hashes_do_not_match(partner_keys, report):
    _, keys = partner_keys
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    assert report(keys.api_key, value).status_code == 202

    case_withdraw(case_id=case.pk, actor=Actor.public(), reason="changed my mind")
    response = report(keys.api_key, flip_bits(value, 2), contentId="content-2")

    assert_error(response, 422, "no_bank_match")
    assert MatchReport.objects.count() == 1


def test_a_hash_added_to_the_bank_matches_at_once(partner_keys, report):
    _, keys = partner_keys
    first = BankHashFactory()
    assert report(keys.api_key, first.value).status_code == 202  # the index is loaded now

    added = BankHashFactory()
    response = report(keys.api_key, flip_bits(added.value, 5), contentId="content-2")

    assert response.status_code == 202, response.content
    assert response.json()["bankHash"]["hashValue"] == added.value


def test_the_nearest_bank_hash_wins_when_several_match(partner_keys, report):
    _, keys = partner_keys
    reported = random_pdq()
    far = BankHashFactory(value=flip_bits(reported, 20))  # created first: the lower id
    near = BankHashFactory(value=flip_bits(reported, 3))

    response = report(keys.api_key, reported)

    assert response.status_code == 202
    assert response.json()["bankHash"]["hashValue"] == near.value
    assert response.json()["distance"] == 3
    assert MatchReport.objects.get().bank_hash == near
    assert not ReviewItem.objects.filter(bank_hash=far).exists()


# --- many partners, one item ----------------------------------------------------------------


def test_ten_partners_reporting_the_same_content_make_one_item_of_priority_ten(report):
    bank = BankHashFactory()
    seen = flip_bits(bank.value, 4)  # the same content, hashed the same way on ten platforms
    for n in range(10):
        _, keys = partner_with_keys(f"platform-{n}")
        response = report(keys.api_key, seen, contentId=f"upload-{n}")
        assert response.status_code == 202, response.content

    item = ReviewItem.objects.get()
    assert item.bank_hash == bank
    assert (item.report_count, item.partner_count, item.priority) == (10, 10, 10)


def test_different_content_matching_one_bank_hash_stays_separate(report, partner_keys):
    _, keys = partner_keys
    bank = BankHashFactory()
    for n in (3, 9):  # without images, content is identified by the claimed hash itself
        assert report(keys.api_key, flip_bits(bank.value, n), contentId=f"upload-{n}").status_code == 202
    assert ReviewItem.objects.filter(bank_hash=bank).count() == 2


# --- reading a report back ------------------------------------------------------------------


def test_get_own_report_shows_the_outcome_once_decided(client, partner_keys, report, moderator):
    _, keys = partner_keys
    report_id = report(keys.api_key, BankHashFactory().value).json()["id"]
    before = client.get(f"{MATCHES}/{report_id}", **bearer(keys.api_key))
    assert before.status_code == 200
    assert (before.json()["outcome"], before.json()["decidedAt"]) == ("pending", None)

    item = ReviewItem.objects.get()
    review_decide(
        moderator=moderator, item_id=item.pk, decision="confirm", reason_code="other", note="same image as the case"
    )
    after = client.get(f"{MATCHES}/{report_id}", **bearer(keys.api_key))

    assert after.status_code == 200
    body = after.json()
    assert body["id"] == report_id
    assert body["outcome"] == "confirmed"
    assert body["decidedAt"] is not None
    assert body["status"] == "processed"


def test_another_partners_report_is_not_found(client, partner_keys, report):
    _, owner_keys = partner_keys
    _, other_keys = partner_with_keys("other")
    report_id = report(owner_keys.api_key, BankHashFactory().value).json()["id"]

    theirs = client.get(f"{MATCHES}/{report_id}", **bearer(other_keys.api_key))
    missing = client.get(f"{MATCHES}/{report_id + 1000}", **bearer(other_keys.api_key))

    assert_error(theirs, 404, "not_found")
    assert theirs.json() == missing.json(), "another partner's report must look like no report"


# --- Idempotency-Key ------------------------------------------------------------------------


def test_same_idempotency_key_and_body_return_the_first_report(partner_keys, report):
    _, keys = partner_keys
    bank = BankHashFactory()

    first = report(keys.api_key, bank.value, idempotency_key="retry-1")
    again = report(keys.api_key, bank.value, idempotency_key="retry-1")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert MatchReport.objects.count() == 1
    assert AuditEvent.objects.filter(action=REPORT_RECEIVED).count() == 1
    assert ReviewItem.objects.get().report_count == 1


def test_same_idempotency_key_with_a_different_body_is_refused(partner_keys, report):
    _, keys = partner_keys
    bank = BankHashFactory()
    assert report(keys.api_key, bank.value, idempotency_key="retry-1").status_code == 202
    before = row_counts()

    response = report(keys.api_key, bank.value, idempotency_key="retry-1", contentId="another-post")

    assert_error(response, 422, "idempotency_mismatch")
    assert row_counts() == before


def test_idempotency_keys_belong_to_one_partner(partner_keys, report):
    _, keys = partner_keys
    _, other_keys = partner_with_keys("other")
    bank = BankHashFactory()

    first = report(keys.api_key, bank.value, idempotency_key="upload-1")
    second = report(other_keys.api_key, bank.value, idempotency_key="upload-1")

    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] != second.json()["id"]
    assert MatchReport.objects.count() == 2


def test_no_bank_match_stores_nothing(partner_keys, report):
    _, keys = partner_keys
    BankHashFactory()
    before = row_counts()

    response = report(keys.api_key, random_pdq())

    assert_error(response, 422, "no_bank_match")
    assert row_counts() == before


def test_a_hash_banked_a_moment_ago_matches_even_when_the_index_refreshes_rarely(report, partner_keys, settings):
    settings.NCII_INDEX_REFRESH_SECONDS = 3600  # the production default is 1 s; intake must not depend on it
    _, keys = partner_keys
    assert report(keys.api_key, BankHashFactory().value).status_code == 202  # loads the index
    fresh = BankHashFactory()  # banked after the index was loaded
    response = report(keys.api_key, flip_bits(fresh.value, 2), contentId="new")
    assert response.status_code == 202, response.content
    assert response.json()["bankHash"]["hashValue"] == fresh.value
