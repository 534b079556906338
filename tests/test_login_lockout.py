"""Sign-in lockout (django-axes): wrong passwords count per username and address together."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
ATTACKER, VICTIM_OFFICE = "203.0.113.9", "198.51.100.20"


@pytest.fixture(autouse=True)
def _limits(settings):  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(username: str, password: str, ip: str, **headers: str):  # type: ignore[no-untyped-def]
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password}, **headers)


def guess(username: str, ip: str, times: int = 3) -> list[int]:
    return [sign_in(username, "wrong-password", ip).status_code for _ in range(times)]


def test_the_limit_locks_that_username_from_that_address_even_with_the_right_password(moderator):
    assert guess("mod", ATTACKER) == [200, 200, 429]  # the form with its error, then the lockout
    response = sign_in("mod", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode() and "15 minutes" in response.content.decode()


def test_the_victim_still_signs_in_from_another_address(moderator):
    guess("mod", ATTACKER, times=10)
    assert sign_in("mod", PASSWORD, VICTIM_OFFICE).status_code == 302


def test_other_users_still_sign_in_from_the_locked_address(moderator):
    UserFactory(username="colleague")
    guess("mod", ATTACKER)
    assert sign_in("colleague", PASSWORD, ATTACKER).status_code == 302


def test_a_forged_forwarded_for_header_does_not_make_a_new_address(moderator):
    for n in range(3):
        sign_in("mod", "wrong-password", ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in("mod", PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_the_lock_ends_after_the_cool_off(moderator):
    guess("mod", ATTACKER)
    assert sign_in("mod", PASSWORD, ATTACKER).status_code == 429
    attempt = AccessAttempt.objects.get(username="mod", ip_address=ATTACKER)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=16))
    assert sign_in("mod", PASSWORD, ATTACKER).status_code == 302


def test_a_successful_sign_in_resets_the_count(moderator):
    guess("mod", ATTACKER, times=2)
    assert sign_in("mod", PASSWORD, ATTACKER).status_code == 302
    guess("mod", ATTACKER, times=2)
    assert sign_in("mod", PASSWORD, ATTACKER).status_code == 302
