"""Nothing is lost or done twice when things crash: a worker killed with SIGKILL in the
middle of a batch, and Redis down during intake. The whole production shape runs as real
processes: gunicorn, a Celery worker, Celery beat and a Redis of the test's own (on its own
port, so stopping it disturbs nothing else), all on the test's PostgreSQL database."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection
from django.db.models import Count

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from matching.models import MatchReport
from moderation.audit_events import REPORT_TRIAGED
from moderation.models import ReviewItem, ReviewItemReport
from tests.factories import BankHashFactory, partner_with_keys
from tests.integration.processes import CELERY_WORKER

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


class Stack:
    def __init__(self, workdir: str) -> None:
        self.workdir, self.redis_port, self.web_port = workdir, free_port(), free_port()
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_VISIBILITY_TIMEOUT": "5",  # unacked tasks of a killed worker come back soon
            "NCII_SWEEP_AFTER_SECONDS": "3",
            "NCII_SWEEP_EVERY_SECONDS": "1",
            "NCII_INDEX_REFRESH_SECONDS": "0",
        }
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = open(Path(self.workdir) / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def redis(self) -> None:
        self.start(
            "redis",
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.workdir,
        )
        wait_for(self._redis_up, 15, "redis up")

    def _redis_up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5):
                return True
        except OSError:
            return False

    def web(self) -> None:
        self.start(
            "web",
            sys.executable,
            "-m",
            "gunicorn",
            "ncii_site.wsgi",
            "-b",
            f"127.0.0.1:{self.web_port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        )
        wait_for(lambda: self._get("/") == 200, 30, "gunicorn up")

    def _get(self, path: str) -> int:
        try:
            return requests.get(f"http://127.0.0.1:{self.web_port}{path}", timeout=2).status_code
        except requests.RequestException:
            return 0

    def worker(self, name: str = "worker") -> None:
        self.start(name, *CELERY_WORKER, "--loglevel=INFO", "--hostname", f"{name}-{os.getpid()}@%h")

    def beat(self) -> None:
        self.start(
            "beat",
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ncii_site",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(Path(self.workdir) / "beat-schedule"),
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            proc = self.procs.pop(name)
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def post_report(self, api_key: str, hash_value: str, content_id: str) -> int:
        response = requests.post(
            f"http://127.0.0.1:{self.web_port}/api/v1/matches",
            timeout=30,
            json={"signalType": "ImagePDQ", "hashValue": hash_value, "contentId": content_id},
            headers={"Authorization": f"Bearer {api_key}"},
        )
        return response.status_code


@pytest.fixture
def stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="ncii-faults-") as workdir:
        stack = Stack(workdir)
        try:
            yield stack
        finally:
            stack.stop_all()
            connection.close()


def post_all(stack: Stack, work: list[tuple[str, str, str]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda w: stack.post_report(*w), work))


def reports_batch(hashes: int, partners: int) -> list[tuple[str, str, str]]:
    keys = [partner_with_keys(f"platform-{n}")[1].api_key for n in range(partners)]
    bank = [BankHashFactory() for _ in range(hashes)]
    return [(key, b.value, f"c-{i}-{p}") for i, b in enumerate(bank) for p, key in enumerate(keys)]


def processed() -> int:
    return MatchReport.objects.filter(status="processed").count()


def assert_each_report_processed_exactly_once(total: int, items: int) -> None:
    assert MatchReport.objects.count() == total
    assert processed() == total
    memberships = ReviewItemReport.objects.values("report").annotate(n=Count("pk"))
    assert memberships.count() == total and {m["n"] for m in memberships} == {1}
    triaged = AuditEvent.objects.filter(action=REPORT_TRIAGED).values("object_id").annotate(n=Count("pk"))
    assert triaged.count() == total and {t["n"] for t in triaged} == {1}
    assert ReviewItem.objects.count() == items
    assert audit_chain_verify()[1] is None


def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(stack):
    work = reports_batch(hashes=100, partners=3)
    stack.redis()
    stack.web()
    stack.beat()
    stack.worker("worker-1")
    with ThreadPoolExecutor(max_workers=1) as background:
        posting = background.submit(post_all, stack, work)
        wait_for(lambda: processed() >= 40, 60, "the first worker got going")
        stack.kill("worker-1")  # SIGKILL: no chance to ack, clean up or finish its transaction
        killed_at = processed()
        assert set(posting.result()) == {202}
    assert killed_at < len(work), "the worker was killed after the batch had finished"
    stack.worker("worker-2")
    wait_for(lambda: processed() == len(work), 120, "every report processed after the restart")
    time.sleep(3)  # let redelivered and swept duplicates arrive: they must change nothing
    assert_each_report_processed_exactly_once(total=len(work), items=100)


def test_reports_taken_while_redis_is_down_are_processed_when_it_returns(stack):
    work = reports_batch(hashes=20, partners=2)
    stack.redis()
    stack.web()
    stack.beat()
    stack.worker()
    stack.kill("redis", signal.SIGTERM)
    assert set(post_all(stack, work)) == {202}  # accepted: the database is the record
    assert MatchReport.objects.filter(status="received").count() == len(work)
    stack.redis()  # empty: everything published before the outage is gone too
    wait_for(lambda: processed() == len(work), 120, "every report processed once Redis is back")
    time.sleep(2)
    assert_each_report_processed_exactly_once(total=len(work), items=20)
