"""Forty wrong PINs at once on one case number (or from one client) check at most the free
number of PINs: each try is reserved atomically before its PIN is hashed (the slow part),
so none slips past the count while the others are still hashing. On PostgreSQL with real
threads, with the per-process cache and with Redis as the shared cache."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection

from audit.services import Actor
from cases import services
from cases.pin_guard import PinLocked, case_authenticate_guarded
from cases.services import CaseAccessDenied, HashInput, case_create
from tests.factories import random_pdq
from tests.redis_server import REDIS_SERVER, redis_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 40
PBKDF2 = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # production's slow PIN hash


@pytest.fixture(params=["locmem", "redis"])
def shared_cache(request, settings):
    if request.param == "locmem":
        yield
        return
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    with redis_server() as server:
        redis_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
        settings.CACHES = {"default": redis_cache}
        yield


@pytest.fixture
def checked(monkeypatch):
    """How many PINs were actually hashed and compared."""
    count, lock = [0], threading.Lock()

    def counting(pin: str, encoded: str) -> bool:
        with lock:
            count[0] += 1
        return check_password(pin, encoded)

    monkeypatch.setattr(services, "check_password", counting)
    return count


def guess_all(tries: list[tuple[str, str]]) -> list[str]:
    start = threading.Barrier(len(tries))

    def guess(number_and_ip: tuple[str, str]) -> str:
        number, ip = number_and_ip
        start.wait()
        try:
            case_authenticate_guarded(case_number=number, pin="00000000", client_ip=ip)
            return "ok"
        except PinLocked:
            return "locked"
        except CaseAccessDenied:
            return "denied"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(tries)) as pool:
        return list(pool.map(guess, tries))


def test_forty_wrong_pins_on_one_case_check_at_most_the_free_number(shared_cache, checked, settings):
    case, pin = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    assert pin != "00000000"
    settings.PASSWORD_HASHERS = PBKDF2
    case.pin_hash = services.make_password(pin)
    case.save(update_fields=["pin_hash"])

    answers = guess_all([(case.number, f"198.51.100.{i}") for i in range(THREADS)])

    free = settings.NCII_PIN_FREE_FAILURES
    assert checked[0] <= free
    assert answers.count("denied") == checked[0] and answers.count("locked") == THREADS - checked[0]


def test_forty_wrong_pins_from_one_client_check_at_most_the_free_number(shared_cache, checked, settings):
    settings.PASSWORD_HASHERS = PBKDF2

    answers = guess_all([(f"NC-0000-0000-{i:04d}", "203.0.113.9") for i in range(THREADS)])

    assert checked[0] <= settings.NCII_PIN_FREE_FAILURES
    assert answers.count("locked") == THREADS - checked[0]
