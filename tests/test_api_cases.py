"""The victim's case API: create a case from hashes, check it and withdraw it with the case
number and PIN, and the throttles that stand between the public and the PIN."""

import re

import pytest
from django.contrib.auth.hashers import check_password, get_hashers

from audit.models import AuditEvent
from cases.apis import CaseCreateThrottle, CasePinThrottle
from cases.audit_events import CASE_CREATED, CASE_WITHDRAWN
from cases.models import Case, CaseHash
from matching.models import BankHash
from tests.api_helpers import (
    CASE_STATUS,
    CASE_WITHDRAW,
    CASES,
    assert_error,
    post_json,
    row_counts,
)
from tests.factories import random_pdq

pytestmark = pytest.mark.django_db

CASE_NUMBER = re.compile(r"NC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def pdq(value: str, quality: int = 90) -> dict[str, object]:
    return {"signalType": "ImagePDQ", "hashValue": value, "quality": quality}


def md5(value: str) -> dict[str, object]:
    return {"signalType": "VideoMD5", "hashValue": value}


@pytest.fixture
def create(client):  # type: ignore[no-untyped-def]
    """Create a case from these hashes; returns (Case, PIN)."""

    def send(*hashes: dict[str, object]) -> tuple[Case, str]:
        response = post_json(client, CASES, {"hashes": list(hashes)})
        assert response.status_code == 201, response.content
        body = response.json()
        return Case.objects.get(number=body["caseNumber"]), body["pin"]

    return send


# --- creating a case ------------------------------------------------------------------------


def test_creating_a_case_answers_its_number_and_a_pin_stored_only_hashed(client):
    image, video = random_pdq(), "0123456789abcdef" * 2

    response = post_json(client, CASES, {"hashes": [pdq(image.upper(), 77), md5(video)]})

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"caseNumber", "pin"}
    assert CASE_NUMBER.fullmatch(body["caseNumber"]), body["caseNumber"]
    assert re.fullmatch(r"\d{8}", body["pin"]), body["pin"]
    case = Case.objects.get()
    assert (case.number, case.status) == (body["caseNumber"], Case.Status.ACTIVE)
    assert case.pin_hash != body["pin"]
    assert body["pin"] not in case.pin_hash
    assert case.pin_hash.startswith(tuple(f"{h.algorithm}$" for h in get_hashers()))
    assert check_password(body["pin"], case.pin_hash)
    stored = {(b.signal_type, b.value, b.quality) for b in BankHash.objects.all()}
    assert stored == {("ImagePDQ", image, 77), ("VideoMD5", video, None)}
    assert all(b.case_refs == {case.reference: "Active"} for b in BankHash.objects.all())
    assert CaseHash.objects.filter(case=case).count() == 2
    event = AuditEvent.objects.get(action=CASE_CREATED)
    assert (event.actor_type, event.object_id) == ("public", str(case.pk))


def test_two_cases_sharing_a_hash_share_one_bank_record(create):
    value = random_pdq()
    first, _ = create(pdq(value))
    second, _ = create(pdq(value.upper(), 95))

    bank = BankHash.objects.get()
    assert bank.value == value
    assert bank.quality == 95
    assert set(CaseHash.objects.filter(bank_hash=bank).values_list("case", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert bank.case_refs == {first.reference: "Active", second.reference: "Active"}


def test_case_numbers_and_pins_differ_between_cases(create):
    first, first_pin = create(pdq(random_pdq()))
    second, second_pin = create(pdq(random_pdq()))

    assert first.number != second.number
    assert first.reference != second.reference
    assert first.pin_hash != second.pin_hash


# --- status ---------------------------------------------------------------------------------


def test_status_with_the_right_pin(client, create):
    case, pin = create(pdq(random_pdq()), md5("ab" * 16))

    response = post_json(client, CASE_STATUS, {"caseNumber": case.number, "pin": pin})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["caseNumber"], body["status"], body["hashCount"]) == (case.number, "active", 2)
    assert body["createdAt"]
    assert case.reference not in response.content.decode()


def test_the_case_number_may_be_typed_loosely(client, create):
    case, pin = create(pdq(random_pdq()))
    typed = case.number.lower().replace("-", " ")

    response = post_json(client, CASE_STATUS, {"caseNumber": typed, "pin": f" {pin} "})

    assert response.status_code == 200, response.content
    assert response.json()["caseNumber"] == case.number


@pytest.mark.parametrize("url", [CASE_STATUS, CASE_WITHDRAW])
def test_a_wrong_pin_and_an_unknown_case_get_the_same_answer(client, create, url):
    case, pin = create(pdq(random_pdq()))
    wrong_pin = str((int(pin) + 1) % 10**8).zfill(8)
    before = row_counts()

    wrong = post_json(client, url, {"caseNumber": case.number, "pin": wrong_pin})
    unknown = post_json(client, url, {"caseNumber": "NC-0000-0000-0000", "pin": pin})

    assert_error(wrong, 403, "case_access_denied")
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())
    assert row_counts() == before
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


# --- withdrawal -----------------------------------------------------------------------------


def test_withdrawing_a_case_withdraws_its_hashes(client, create):
    value = random_pdq()
    case, pin = create(pdq(value))

    response = post_json(client, CASE_WITHDRAW, {"caseNumber": case.number, "pin": pin})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"
    case.refresh_from_db()
    assert (case.status, case.withdrawn_at is not None) == (Case.Status.WITHDRAWN, True)
    bank = BankHash.objects.get(value=value)
    assert bank.status == BankHash.Status.WITHDRAWN
    assert bank.case_refs == {case.reference: "Withdrawn"}
    event = AuditEvent.objects.get(action=CASE_WITHDRAWN)
    assert (event.actor_type, event.object_id) == ("public", str(case.pk))
    assert (event.before, event.after) == ({"status": "active"}, {"status": "withdrawn"})
    status = post_json(client, CASE_STATUS, {"caseNumber": case.number, "pin": pin})
    assert status.json()["status"] == "withdrawn"


def test_a_hash_another_active_case_protects_stays_active(client, create):
    shared, own = random_pdq(), random_pdq()
    leaving, pin = create(pdq(shared), pdq(own))
    staying, _ = create(pdq(shared))

    response = post_json(client, CASE_WITHDRAW, {"caseNumber": leaving.number, "pin": pin})

    assert response.status_code == 200
    shared_bank, own_bank = BankHash.objects.get(value=shared), BankHash.objects.get(value=own)
    assert shared_bank.status == BankHash.Status.ACTIVE
    assert shared_bank.case_refs == {leaving.reference: "Withdrawn", staying.reference: "Active"}
    assert own_bank.status == BankHash.Status.WITHDRAWN


def test_withdrawing_twice_changes_nothing_the_second_time(client, create):
    case, pin = create(pdq(random_pdq()))
    assert post_json(client, CASE_WITHDRAW, {"caseNumber": case.number, "pin": pin}).status_code == 200
    before = row_counts()

    again = post_json(client, CASE_WITHDRAW, {"caseNumber": case.number, "pin": pin})

    assert again.status_code == 200
    assert again.json()["status"] == "withdrawn"
    assert row_counts() == before


def test_a_new_case_reactivates_a_withdrawn_hash(client, create):
    value = random_pdq()
    old, pin = create(pdq(value))
    post_json(client, CASE_WITHDRAW, {"caseNumber": old.number, "pin": pin})

    new, _ = create(pdq(value))

    bank = BankHash.objects.get()
    assert bank.status == BankHash.Status.ACTIVE
    assert bank.case_refs == {old.reference: "Withdrawn", new.reference: "Active"}


# --- throttles ------------------------------------------------------------------------------


def test_case_creation_is_throttled(client, monkeypatch):
    monkeypatch.setattr(CaseCreateThrottle, "rate", "2/hour", raising=False)
    for _ in range(2):
        assert post_json(client, CASES, {"hashes": [pdq(random_pdq())]}).status_code == 201
    before = row_counts()

    response = post_json(client, CASES, {"hashes": [pdq(random_pdq())]})

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert row_counts() == before


def test_pin_guessing_is_throttled(client, create, monkeypatch):
    case, pin = create(pdq(random_pdq()))
    monkeypatch.setattr(CasePinThrottle, "rate", "3/hour", raising=False)
    for guess in range(3):
        wrong = post_json(client, CASE_STATUS, {"caseNumber": case.number, "pin": f"{guess:08d}"})
        assert wrong.status_code in (200, 403)

    response = post_json(client, CASE_STATUS, {"caseNumber": case.number, "pin": pin})

    assert_error(response, 429, "throttled")


def test_a_forged_forwarded_for_header_does_not_escape_the_pin_throttle(client, create, monkeypatch):
    case, _ = create(pdq(random_pdq()))
    monkeypatch.setattr(CasePinThrottle, "rate", "3/hour", raising=False)
    answers = [
        post_json(
            client,
            CASE_STATUS,
            {"caseNumber": case.number, "pin": f"{guess:08d}"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{guess}",
        ).status_code
        for guess in range(5)
    ]

    assert answers[-1] == 429, answers
