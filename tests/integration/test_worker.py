"""The review loop on the real services: the API on PostgreSQL, the broker on Redis and a
Celery worker process of its own."""

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.models import MatchReport
from moderation.models import ReviewItem
from moderation.services import review_decide
from moderation.tasks import report_process
from ncii_site.celery import app as celery_app
from tests.factories import UserFactory, flip_bits, partner_with_keys, random_pdq
from tests.integration.processes import CELERY_WORKER

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def worker() -> Iterator[subprocess.Popen]:
    """A real worker on the test database, consuming from Redis."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(celery_app.conf.task_default_queue)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    proc = subprocess.Popen(
        [*CELERY_WORKER, "--loglevel=INFO", "--hostname", f"it-{os.getpid()}@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: bool(celery_app.control.ping(timeout=0.5)) or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "worker exited"
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _report(client: Client, api_key: str, hash_value: str, content_id: str) -> int:
    response = client.post(
        "/api/v1/matches",
        {"signalType": "ImagePDQ", "hashValue": hash_value, "contentId": content_id},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def test_reported_match_becomes_a_review_item_and_the_decision_reaches_the_partner(worker):
    bank_value = random_pdq()
    case_create(hashes=[HashInput("ImagePDQ", bank_value, 90)], actor=Actor.public())
    _, keys_a = partner_with_keys("photoshare")
    _, keys_b = partner_with_keys("cliphub")
    client = Client()

    first = _report(client, keys_a.api_key, flip_bits(bank_value, 5), "post-1")
    wait_for(lambda: MatchReport.objects.get(pk=first).status == "processed")
    second = _report(client, keys_b.api_key, flip_bits(bank_value, 5), "clip-7")  # the same content
    wait_for(lambda: MatchReport.objects.get(pk=second).status == "processed")

    item = ReviewItem.objects.get()
    assert (item.state, item.report_count, item.partner_count, item.priority) == ("pending", 2, 2, 2)

    report_process.delay(first)  # a redelivered task changes nothing
    events = AuditEvent.objects.count()
    time.sleep(1.0)
    assert AuditEvent.objects.count() == events
    assert ReviewItem.objects.get().report_count == 2

    moderator = UserFactory(role="moderator")
    review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    body = client.get(f"/api/v1/matches/{first}", HTTP_AUTHORIZATION=f"Bearer {keys_a.api_key}").json()
    assert (body["status"], body["outcome"]) == ("processed", "confirmed")
    assert audit_chain_verify()[1] is None


def test_a_video_report_is_reviewed_through_the_worker_and_answered_with_its_percentages(worker):
    from matching.video import video_input_validate
    from tests.factories import frames_near, video_frames

    frames = video_frames(8)
    video = video_input_validate(frames)
    case_create(hashes=[HashInput("VideoPDQ", video.key, None, video)], actor=Actor.public())
    _, keys = partner_with_keys("cliphub")
    client = Client()
    body = {"signalType": "VideoPDQ", "hashValue": frames_near(frames, 6), "contentId": "clip-9"}
    response = client.post("/api/v1/matches", body, content_type="application/json", **_bearer(keys.api_key))
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    wait_for(lambda: MatchReport.objects.get(pk=report_id).status == "processed")
    item = ReviewItem.objects.get()
    review_decide(
        moderator=UserFactory(role="moderator"), item_id=item.pk, decision="confirm", reason_code="matches_bank"
    )
    answer = client.get(f"/api/v1/matches/{report_id}", **_bearer(keys.api_key)).json()
    assert (answer["outcome"], answer["signalType"]) == ("confirmed", "VideoPDQ")
    assert (answer["queryMatchPercent"], answer["targetMatchPercent"]) == (100.0, 100.0)


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
