"""The PIN guard in front of POST /api/v1/cases/status and /withdraw: PIN format, lockouts
per case number and per client that grow, the same answers for an unknown case and a wrong
PIN, and no PIN in any log line."""

import logging

import pytest

from audit.services import Actor
from cases import pin_guard, services
from cases.apis import CasePinThrottle
from cases.models import Case
from cases.services import HashInput, case_create
from tests.api_helpers import CASE_STATUS, CASE_WITHDRAW, assert_error, post_json, row_counts
from tests.factories import random_pdq

pytestmark = pytest.mark.django_db

UNKNOWN = "NC-0000-0000-{:04d}"


@pytest.fixture(autouse=True)
def _roomy_rate_limit(monkeypatch):
    """The scoped per-IP rate limit stays on in production; here the guard is under test."""
    monkeypatch.setattr(CasePinThrottle, "rate", "1000/hour", raising=False)


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(pin_guard, "_now", lambda: now[0])
    return now


def new_case() -> tuple[Case, str]:
    return case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())


def wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 10**8:08d}"


def attempt(client, number: str, pin: str, ip: str = "198.51.100.1", url: str = CASE_STATUS):  # type: ignore[no-untyped-def]
    return post_json(client, url, {"caseNumber": number, "pin": pin}, REMOTE_ADDR=ip)


def assert_locked(response, retry_after: int = 30) -> None:  # type: ignore[no-untyped-def]
    body = assert_error(response, 429, "too_many_attempts")
    assert int(response["Retry-After"]) == retry_after
    assert f"{retry_after} seconds" in body["detail"]


# --- lockouts -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [CASE_STATUS, CASE_WITHDRAW])
def test_five_wrong_pins_then_the_case_number_is_locked(client, url):
    case, pin = new_case()
    for _ in range(5):
        assert_error(attempt(client, case.number, wrong(pin), url=url), 403, "case_access_denied")
    before = row_counts()

    assert_locked(attempt(client, case.number, pin, url=url))  # even the right PIN waits

    assert row_counts() == before
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE


def test_the_lock_is_per_case_number_across_clients(client):
    case, pin = new_case()
    other, other_pin = new_case()
    for i in range(5):
        attempt(client, case.number, wrong(pin), ip=f"203.0.113.{i}")

    assert_locked(attempt(client, case.number, pin, ip="192.0.2.77"))
    assert attempt(client, other.number, other_pin, ip="192.0.2.77").status_code == 200


def test_the_case_number_counts_however_it_is_typed(client):
    case, pin = new_case()
    spellings = [case.number, case.number.lower(), case.number.replace("-", " "), case.number[3:]]
    for i, typed in enumerate([*spellings, case.number.replace("-", "")]):
        assert attempt(client, typed, wrong(pin), ip=f"203.0.113.{i}").status_code == 403

    assert_locked(attempt(client, case.number, pin, ip="192.0.2.77"))


@pytest.mark.parametrize(
    ("first", "later"),
    [("198.51.100.7", "198.51.100.7"), ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9")],
    ids=["ipv4", "ipv6-same-64"],
)
def test_the_lock_is_per_client_across_case_numbers(client, first, later):
    case, pin = new_case()
    for i in range(5):
        assert attempt(client, UNKNOWN.format(i), "12345678", ip=first).status_code == 403

    assert_locked(attempt(client, case.number, pin, ip=later))
    assert attempt(client, case.number, pin, ip="192.0.2.1").status_code == 200


def test_the_lock_doubles_with_each_further_wrong_pin(client, clock):
    case, pin = new_case()
    for i in range(5):
        attempt(client, case.number, wrong(pin), ip=f"203.0.113.{i}")
    for step, lock in enumerate([30, 60, 120]):
        assert_locked(attempt(client, case.number, pin, ip="192.0.2.9"), retry_after=lock)
        clock[0] += lock
        assert attempt(client, case.number, wrong(pin), ip=f"192.0.2.{step}").status_code == 403

    assert_locked(attempt(client, case.number, pin, ip="192.0.2.9"), retry_after=240)


def test_the_lock_time_doubles_up_to_its_cap(settings):
    settings.NCII_PIN_LOCK_MAX_SECONDS = 3600
    locks = [pin_guard.pin_lock_seconds(n) for n in range(1, 14)]
    assert locks == [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert pin_guard.pin_lock_seconds(10**6) == 3600


def test_after_the_lock_ends_the_right_pin_works(client, clock):
    case, pin = new_case()
    for i in range(5):
        attempt(client, case.number, wrong(pin), ip=f"203.0.113.{i}")
    clock[0] += 30

    assert attempt(client, case.number, pin, ip="192.0.2.9").status_code == 200


def test_a_right_pin_resets_its_own_case_number_only(client):
    mine, my_pin = new_case()
    target, target_pin = new_case()
    for i in range(4):
        attempt(client, target.number, wrong(target_pin), ip=f"203.0.113.{i}")

    assert attempt(client, mine.number, my_pin, ip="203.0.113.50").status_code == 200
    assert attempt(client, target.number, wrong(target_pin), ip="203.0.113.51").status_code == 403
    assert_locked(attempt(client, target.number, target_pin, ip="203.0.113.52"))


def test_a_right_pin_clears_the_count_of_that_case_number(client):
    case, pin = new_case()
    for i in range(4):
        attempt(client, case.number, wrong(pin), ip=f"203.0.113.{i}")
    assert attempt(client, case.number, pin, ip="203.0.113.9").status_code == 200

    for i in range(5):
        assert attempt(client, case.number, wrong(pin), ip=f"198.51.100.{i}").status_code == 403
    assert_locked(attempt(client, case.number, pin, ip="198.51.100.9"))


def test_a_right_pin_does_not_reset_the_clients_count(client):
    mine, my_pin = new_case()
    for i in range(4):
        attempt(client, UNKNOWN.format(i), "12345678")
    assert attempt(client, mine.number, my_pin).status_code == 200
    assert attempt(client, UNKNOWN.format(9), "12345678").status_code == 403

    assert_locked(attempt(client, mine.number, my_pin))


def ask(client, number: str, pin: str, **headers: str):  # type: ignore[no-untyped-def]
    return post_json(client, CASE_STATUS, {"caseNumber": number, "pin": pin}, **headers)


def test_a_forged_forwarded_for_header_does_not_make_a_new_client(client):
    case, pin = new_case()
    for i in range(5):
        ask(client, UNKNOWN.format(i), "12345678", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")

    assert_locked(ask(client, case.number, pin, HTTP_X_FORWARDED_FOR="10.9.9.9"))


def test_behind_one_proxy_the_client_is_the_address_the_proxy_saw(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    case, pin = new_case()
    proxy = "10.1.1.1"
    for i in range(5):
        ask(client, UNKNOWN.format(i), "12345678", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 192.0.2.200", REMOTE_ADDR=proxy)

    assert_locked(ask(client, case.number, pin, HTTP_X_FORWARDED_FOR="192.0.2.200", REMOTE_ADDR=proxy))
    assert ask(client, case.number, pin, HTTP_X_FORWARDED_FOR="192.0.2.201", REMOTE_ADDR=proxy).status_code == 200


# --- the same answer for an unknown case ----------------------------------------------------


@pytest.mark.parametrize("url", [CASE_STATUS, CASE_WITHDRAW])
def test_unknown_case_and_wrong_pin_answer_the_same_before_and_after_a_lockout(client, url):
    case, pin = new_case()
    answers = {}
    for name, number in (("wrong", case.number), ("unknown", UNKNOWN.format(1))):
        tries = [attempt(client, number, wrong(pin), ip=f"203.0.{len(answers)}.{i}", url=url) for i in range(6)]
        answers[name] = [(r.status_code, r.json(), r.get("Retry-After")) for r in tries]

    assert answers["wrong"] == answers["unknown"]
    assert [status for status, _, _ in answers["wrong"]] == [403] * 5 + [429]


def test_unknown_case_and_wrong_pin_each_check_one_password_hash(client, monkeypatch):
    """Similar timing: an unknown case number is checked against a dummy hash."""
    checked: list[str] = []
    real = services.check_password
    monkeypatch.setattr(services, "check_password", lambda pin, encoded: checked.append(encoded) or real(pin, encoded))
    case, pin = new_case()

    attempt(client, case.number, wrong(pin))
    attempt(client, UNKNOWN.format(1), wrong(pin))

    assert checked == [case.pin_hash, services._DUMMY_PIN_HASH]


# --- bad PIN formats ------------------------------------------------------------------------

BAD_PINS = [
    pytest.param("1234567", "invalid_pin_format", id="seven-digits"),
    pytest.param("123456789", "invalid_pin_format", id="nine-digits"),
    pytest.param("1234abcd", "invalid_pin_format", id="letters"),
    pytest.param("", "invalid_pin_format", id="empty"),
    pytest.param("        ", "invalid_pin_format", id="blank"),
    pytest.param("1234 5678", "invalid_pin_format", id="inner-space"),
    pytest.param("-1234567", "invalid_pin_format", id="sign"),
    pytest.param("١٢٣٤٥٦٧٨", "invalid_pin_format", id="arabic-indic-digits"),
    pytest.param("１２３４５６７８", "invalid_pin_format", id="fullwidth-digits"),
    pytest.param("1" * 5000, "invalid_pin_format", id="huge"),
    pytest.param(12345678, "invalid", id="number-not-string"),
    pytest.param(None, "invalid", id="null"),
]


@pytest.mark.parametrize("url", [CASE_STATUS, CASE_WITHDRAW])
@pytest.mark.parametrize(("pin", "code"), BAD_PINS)
def test_a_badly_formed_pin_is_400_before_the_database_or_the_guard(
    client, django_assert_num_queries, monkeypatch, url, pin, code
):
    case, _ = new_case()
    before = row_counts()
    monkeypatch.setattr(pin_guard, "cache", None)  # any use of the guard's counters would fail

    with django_assert_num_queries(0):
        response = post_json(client, url, {"caseNumber": case.number, "pin": pin})

    body = assert_error(response, 400, code)
    assert "pin" in body["detail"].lower()
    assert row_counts() == before


def test_badly_formed_pins_do_not_count_as_wrong_ones(client):
    case, pin = new_case()
    for _ in range(10):
        assert attempt(client, case.number, "1234").status_code == 400

    assert attempt(client, case.number, pin).status_code == 200


# --- the PIN stays out of logs --------------------------------------------------------------


def test_no_log_line_holds_the_pin_or_the_case_number(client, caplog):
    case, pin = new_case()
    guesses = [wrong(pin), f"{(int(pin) + 2) % 10**8:08d}", "1234567"]
    caplog.set_level(logging.DEBUG)

    for i in range(6):
        attempt(client, case.number, guesses[i % 2])
    attempt(client, case.number, guesses[2])
    attempt(client, case.number, pin)

    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "Forbidden: /api/v1/cases/status" in logged  # the request log is captured
    assert "locked for 30 s" in logged
    for secret in [pin, *guesses, case.number, case.number.replace("-", "")]:
        assert secret not in logged
