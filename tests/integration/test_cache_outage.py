"""The shared cache's Redis stopped and restarted under traffic, on the production shape
(gunicorn, a Celery worker and beat on PostgreSQL, the broker on a Redis of its own): no
request gets a 500; reports and new cases are taken throughout (the throttles count per
process meanwhile) and every accepted report is processed exactly once; the PIN check
answers 503 with Retry-After while the cache is away (fails closed), and 200 once it is back."""

from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests

from audit.services import Actor
from cases.services import HashInput, case_create
from tests.factories import random_pdq
from tests.integration.test_faults import (  # noqa: F401 - the stack fixture
    assert_each_report_processed_exactly_once,
    processed,
    reports_batch,
    stack,
    wait_for,
)
from tests.redis_server import RedisServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cache_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class Traffic:
    def __init__(self, base: str, reports: list[tuple[str, str, str]], case: tuple[str, str]) -> None:
        self.base, self.reports, self.case = base, iter(reports), case
        self.answers: list[tuple[str, int, str | None]] = []

    def report(self) -> None:
        key, value, content_id = next(self.reports)
        body = {"signalType": "ImagePDQ", "hashValue": value, "contentId": content_id}
        self._post("report", "/api/v1/matches", body, {"Authorization": f"Bearer {key}"})

    def new_case(self) -> None:
        body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": random_pdq(), "quality": 90}]}
        self._post("case", "/api/v1/cases", body)

    def pin_check(self) -> None:
        self._post("pin", "/api/v1/cases/status", {"caseNumber": self.case[0], "pin": self.case[1]})

    def _post(self, kind: str, path: str, body: object, headers: dict[str, str] | None = None) -> None:
        response = requests.post(self.base + path, json=body, headers=headers or {}, timeout=30)
        self.answers.append((kind, response.status_code, response.headers.get("Retry-After")))

    def run(self, calls: int) -> list[tuple[str, int, str | None]]:
        start = len(self.answers)
        kinds = cycle([self.report, self.new_case, self.pin_check])
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda call: call(), [next(kinds) for _ in range(calls)]))
        return self.answers[start:]


def test_the_cache_stopped_and_restarted_under_traffic_gives_no_500(stack, cache_redis, settings):  # noqa: F811
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # as the web processes
    stack.env |= {"CACHE_URL": cache_redis.url, "NCII_THROTTLE_CASE_CREATE": "100000/hour"}
    stack.env |= {"NCII_THROTTLE_CASE_PIN": "100000/hour"}
    work = reports_batch(hashes=200, partners=1)
    case, pin = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    stack.redis()
    stack.web()
    stack.worker()
    stack.beat()
    traffic = Traffic(f"http://127.0.0.1:{stack.web_port}", work, (case.number, pin))

    before = traffic.run(15)
    cache_redis.stop()
    during = traffic.run(30)
    cache_redis.start()
    wait_for(lambda: ("pin", 200) in [a[:2] for a in traffic.run(3)], 60, "the PIN check answers again")
    after = traffic.run(15)

    everything = traffic.answers
    assert not [a for a in everything if a[1] >= 500 and a[0] != "pin"]
    assert {status for kind, status, _ in everything if kind == "report"} == {202}
    assert {status for kind, status, _ in everything if kind == "case"} == {201}
    assert {(s, r) for k, s, r in during if k == "pin"} == {(503, "30")}  # fails closed, says when
    assert {s for k, s, _ in before + after if k == "pin"} == {200}
    accepted = sum(1 for kind, _, _ in everything if kind == "report")
    wait_for(lambda: processed() == accepted, 120, "every accepted report processed")
    assert_each_report_processed_exactly_once(total=accepted, items=accepted)
