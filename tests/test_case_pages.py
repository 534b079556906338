"""The victim's pages without a browser: the landing page, the age gate of "create a case",
check and withdraw with case number + PIN, and what the pages keep (no cookies but CSRF)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from cases.apis import CasePinThrottle
from cases.audit_events import CASE_WITHDRAWN
from cases.models import Case
from cases.services import HashInput, case_create
from matching.models import BankHash
from tests.factories import random_pdq

pytestmark = pytest.mark.django_db

NEW, CHECK, WITHDRAW = reverse("victim:new"), reverse("victim:check"), reverse("victim:withdraw")
SAME_ANSWER = "No case matches that case number and PIN."


def new_case(*values: str) -> tuple[Case, str]:
    hashes = [HashInput("ImagePDQ", v, 90) for v in values or (random_pdq(),)]
    return case_create(hashes=hashes, actor=Actor.public())


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page without its per-response CSRF tokens and CSP nonces, so two pages can be compared."""
    page = re.sub(r'nonce="[^"]+"', "NONCE", response.content.decode())
    return re.sub(r'(value=|X-CSRFToken": )"[^"]{32,}"', "TOKEN", page)


# --- landing page and the help on every page ----------------------------------------------


def test_the_landing_page_says_what_it_does_and_links_every_action(client, settings):
    settings.NCII_HELPLINES = [{"name": "Test Helpline", "url": "tel:+441234"}]
    body = client.get("/").content.decode()

    for url in (NEW, CHECK, WITHDRAW):
        assert f'href="{url}"' in body
    assert "never leave your device" in body
    assert "What it does not do" in body
    assert 'href="tel:+441234"' in body and "Test Helpline" in body


@pytest.mark.parametrize("url", ["/", NEW, CHECK, WITHDRAW])
def test_public_pages_need_no_login_and_set_no_cookie_but_csrf(client, url):
    response = client.get(url)

    assert response.status_code == 200
    assert set(response.cookies) <= {"csrftoken"}
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())  # no inline script


def test_the_whole_check_and_withdraw_journey_sets_no_cookie_but_csrf(client):
    case, pin = new_case()
    for url, data in [(CHECK, {}), (WITHDRAW, {}), (WITHDRAW, {"confirm": "yes"})]:
        response = client.post(url, {"number": case.number, "pin": pin, **data})
        assert response.status_code == 200
        assert set(response.cookies) <= {"csrftoken"}
    assert "sessionid" not in client.cookies


# --- create: the age gate -------------------------------------------------------------------


def test_the_create_page_starts_with_the_two_questions(client):
    body = client.get(NEW).content.decode()

    assert "How old are you?" in body and "I am in the images" in body
    assert 'id="hasher"' not in body and "case-new.js" not in body


def test_under_18_points_to_the_minors_service_and_creates_nothing(client, settings):
    settings.NCII_MINORS_SERVICE_NAME, settings.NCII_MINORS_SERVICE_URL = "Kids Line", "https://kids.example/"
    response = client.post(NEW, {"age": "minor"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "no case has been created" in body
    assert 'href="https://kids.example/"' in body and "Kids Line" in body
    assert 'id="hasher"' not in body and "case-new.js" not in body
    assert Case.objects.count() == 0


def test_an_adult_in_the_images_gets_the_hasher(client, settings):
    settings.NCII_MIN_PDQ_QUALITY = 60
    body = client.post(NEW, {"age": "adult", "in_images": "on"}).content.decode()

    assert 'data-endpoint="/api/v1/cases"' in body
    assert 'data-min-quality="60"' in body
    assert 'type="file"' in body and "case-new.js" in body and "spark-md5.min.js" in body


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"age": "adult"}, "protects images of the person"),
        ({"in_images": "on"}, "Answer the question “How old are you?”"),  # says which question
        ({"age": "old", "in_images": "on"}, "Answer the question “How old are you?”"),
        ({}, "Answer the question “How old are you?”"),
    ],
)
def test_an_incomplete_gate_asks_again(client, data, error):
    response = client.post(NEW, data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'id="hasher"' not in response.content.decode()


# --- check -------------------------------------------------------------------------------------


def test_check_shows_status_count_and_date(client):
    case, pin = new_case(random_pdq(), random_pdq(), random_pdq())

    response = client.post(CHECK, {"number": case.number.lower().replace("-", " "), "pin": pin})

    body = response.content.decode()
    assert response.status_code == 200
    assert case.number in body and "Active" in body
    assert "3 images" in body
    assert case.created_at.strftime("%Y-%m-%d") in body  # the <time datetime>
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_a_wrong_pin_and_an_unknown_case_get_the_same_page(client):
    case, pin = new_case()
    wrong_pin = "1" * 8 if pin != "1" * 8 else "2" * 8
    unknown = "NC-0000-0000-0000" if case.number != "NC-0000-0000-0000" else "NC-1111-1111-1111"

    responses = [
        client.post(CHECK, {"number": case.number, "pin": wrong_pin}),
        client.post(CHECK, {"number": unknown, "pin": pin}),
    ]

    assert [r.status_code for r in responses] == [403, 403]
    assert SAME_ANSWER in responses[0].content.decode()
    assert text(responses[0]).replace(case.number, "N") == text(responses[1]).replace(unknown, "N")
    assert pin not in responses[1].content.decode()


@pytest.mark.parametrize(
    ("number", "pin", "error"),
    [
        ("NC-1234", "12345678", "A case number looks like"),
        ("NC-IIII-LLLL-OOOO", "12345678", "A case number looks like"),
        ("", "12345678", "This field is required"),
        ("NC-0000-0000-0000", "1234567", "The PIN is 8 digits"),
        ("NC-0000-0000-0000", "12345678x", "The PIN is 8 digits"),
        ("NC-0000-0000-0000", "１２３４５６７８", "The PIN is 8 digits"),  # full-width digits
        ("NC-0000-0000-0000", "", "This field is required"),
    ],
)
def test_badly_formed_numbers_and_pins_are_refused_before_any_lookup(client, number, pin, error):
    response = client.post(CHECK, {"number": number, "pin": pin})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert SAME_ANSWER not in response.content.decode()


def test_guessing_pins_in_the_page_is_throttled_with_the_api(client, monkeypatch):
    monkeypatch.setattr(CasePinThrottle, "rate", "3/hour", raising=False)
    case, pin = new_case()
    client.post("/api/v1/cases/status", {"caseNumber": case.number, "pin": "00000000"}, content_type="application/json")
    for _ in range(2):
        assert client.post(CHECK, {"number": case.number, "pin": "00000000"}).status_code == 403

    response = client.post(CHECK, {"number": case.number, "pin": pin})  # even the right PIN, now

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_get_never_looks_a_case_up(client):
    case, pin = new_case()

    body = client.get(CHECK, {"number": case.number, "pin": pin}).content.decode()

    assert "Active" not in body and case.number not in body
    assert re.search(r'<form method="post" action="/cases/check/"', body)


# --- withdraw ---------------------------------------------------------------------------------


def test_withdrawing_asks_for_confirmation_first(client):
    case, pin = new_case()

    response = client.post(WITHDRAW, {"number": case.number, "pin": pin})

    body = response.content.decode()
    assert "Yes, withdraw the case" in body
    assert '<input type="hidden" name="confirm" value="yes">' in body
    assert f'<input type="hidden" name="pin" value="{pin}">' in body  # posted again, never in a URL
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert not AuditEvent.objects.filter(action=CASE_WITHDRAWN).exists()


def test_confirmed_withdrawal_withdraws_every_hash_but_shared_ones_stay_active(client):
    shared, own = random_pdq(), random_pdq()
    case, pin = new_case(shared, own)
    other, _ = new_case(shared)

    response = client.post(WITHDRAW, {"number": case.number, "pin": pin, "confirm": "yes"})

    assert response.status_code == 200
    assert "is withdrawn" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.WITHDRAWN
    statuses = dict(BankHash.objects.values_list("value", "status"))
    assert statuses == {own: BankHash.Status.WITHDRAWN, shared: BankHash.Status.ACTIVE}
    event = AuditEvent.objects.get(action=CASE_WITHDRAWN)
    assert (event.object_id, event.actor_type) == (str(case.pk), "public")


def test_a_wrong_pin_withdraws_nothing_even_when_confirmed(client):
    case, pin = new_case()

    response = client.post(
        WITHDRAW, {"number": case.number, "pin": "0" * 8 if pin != "0" * 8 else "1" * 8, "confirm": "yes"}
    )

    assert response.status_code == 403
    assert SAME_ANSWER in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_get_with_everything_in_the_query_string_withdraws_nothing(client):
    case, pin = new_case()

    response = client.get(WITHDRAW, {"number": case.number, "pin": pin, "confirm": "yes"})

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_a_withdrawn_case_says_so_and_is_not_withdrawn_twice(client):
    case, pin = new_case()
    client.post(WITHDRAW, {"number": case.number, "pin": pin, "confirm": "yes"})

    check = client.post(CHECK, {"number": case.number, "pin": pin}).content.decode()
    again = client.post(WITHDRAW, {"number": case.number, "pin": pin}).content.decode()

    assert "Withdrawn" in check and "Withdraw this case" not in check
    assert "is withdrawn" in again and "Yes, withdraw" not in again
    assert AuditEvent.objects.filter(action=CASE_WITHDRAWN).count() == 1


def test_the_pages_need_csrf():
    client = Client(enforce_csrf_checks=True)
    case, pin = new_case()

    response = client.post(WITHDRAW, {"number": case.number, "pin": pin, "confirm": "yes"})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_wrong_pins_in_the_page_lock_the_case_number_across_connections_and_for_the_api(client):
    """The PIN guard counts wrong PINs per case number: guesses spread over many addresses
    lock it for the pages and the API alike, even for the right PIN."""
    case, pin = new_case()
    wrong_pin = "1" * 8 if pin != "1" * 8 else "2" * 8
    for i in range(5):
        response = client.post(CHECK, {"number": case.number, "pin": wrong_pin}, REMOTE_ADDR=f"203.0.113.{i}")
        assert response.status_code == 403

    locked = client.post(CHECK, {"number": case.number, "pin": pin}, REMOTE_ADDR="192.0.2.77")
    api = client.post(
        "/api/v1/cases/status",
        {"caseNumber": case.number, "pin": pin},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.78",
    )

    assert locked.status_code == 429 and "Too many attempts" in locked.content.decode()
    assert case.number not in text(locked).replace(f'value="{case.number}"', "")  # no case facts shown
    assert api.status_code == 429


def test_check_counts_only_the_hashes_the_case_still_protects(client):
    from cases.services import case_hash_withdraw

    case, pin = new_case(random_pdq(), random_pdq())
    first = case.hash_links.order_by("pk").first()
    case_hash_withdraw(case_id=case.pk, bank_hash_id=first.bank_hash_id, actor=Actor.system("test"), reason="dispute")

    page = client.post(CHECK, {"number": case.number, "pin": pin}).content.decode()
    api = client.post("/api/v1/cases/status", {"caseNumber": case.number, "pin": pin}, content_type="application/json")

    assert "1 image" in page and "2 images" not in page
    assert api.json()["hashCount"] == 1
