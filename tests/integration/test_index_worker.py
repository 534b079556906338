"""A process that falls behind its snapshot (a bulk change past NCII_INDEX_DELTA_MAX) answers
from the database, asks a real worker for a new snapshot, and takes it when published."""

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection

from matching import snapshot
from matching.frame_index import video_index
from matching.index import bank_index
from matching.index_builder import index_build
from ncii_site.celery import app as celery_app
from tests.factories import BankHashFactory, video_frames
from tests.integration.processes import CELERY_WORKER
from tests.test_video_pdq import bank_video

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"condition not met within {timeout}s"
        time.sleep(0.1)


@contextmanager
def index_worker(directory: Path) -> Iterator[None]:
    """A real Celery worker that builds snapshots into ``directory`` when asked."""
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete(celery_app.conf.task_default_queue)
    db = connection.settings_dict
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "NCII_INDEX_DIR": str(directory),
        # The worker's snapshot must cover the hashes made just before it builds, as this
        # process sees them (the tests run with no settle margin): else they stay in the delta.
        "NCII_EXCHANGE_SETTLE_SECONDS": "0",
    }
    worker = subprocess.Popen(
        [*CELERY_WORKER, "--loglevel=WARNING", "--hostname", f"idx-{os.getpid()}@%h"], cwd=ROOT, env=env
    )
    try:
        yield
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def test_a_process_behind_its_snapshot_gets_a_new_one_from_a_worker(settings):
    settings.NCII_INDEX_DELTA_MAX = 2
    directory = Path(settings.NCII_INDEX_DIR)
    first = BankHashFactory()
    index_build()
    assert bank_index.load_latest()
    with index_worker(directory):
        bulk = [BankHashFactory() for _ in range(3)]
        assert bank_index.candidates(bulk[0].value, 0) == [bulk[0].pk]  # the database path, at once
        assert bank_index.status()["behind"]
        wait_for(lambda: snapshot.current(directory).name == "snapshot-00000002.idx")  # type: ignore[union-attr]
        assert bank_index.candidates(first.value, 0) == [first.pk]
        assert bank_index.status() | {"age_seconds": 0} == bank_index.status() | {
            "mode": "snapshot",
            "snapshot": "snapshot-00000002.idx",
            "hashes": 4,
            "delta": 0,
            "age_seconds": 0,
        }


def test_a_video_frame_delta_past_its_bound_gets_a_new_snapshot_from_a_worker(settings):
    settings.NCII_INDEX_DELTA_MAX = 2
    directory = Path(settings.NCII_INDEX_DIR)
    first_frames = video_frames(2)
    first = bank_video(first_frames)
    index_build()
    video_index.refresh(force=True)
    with index_worker(directory):
        later = video_frames(3)
        later_hash = bank_video(later)
        assert video_index.videos_near([f[:64] for f in later], 0) == {later_hash.pk}  # from the delta, at once
        assert video_index.status()["delta"] == 3  # past the bound: the worker is asked for a snapshot
        wait_for(lambda: snapshot.current(directory).name == "snapshot-00000002.idx")  # type: ignore[union-attr]
        video_index.refresh(force=True)
        assert video_index.status() == {"base": "snapshot-00000002.idx", "frames": 5, "delta": 0}
        assert video_index.videos_near([f[:64] for f in later], 0) == {later_hash.pk}
        assert video_index.videos_near([f[:64] for f in first_frames], 0) == {first.pk}


def _maps_of_children(pid: int) -> str:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return "".join(Path(f"/proc/{child}/maps").read_text() for child in children)
    except OSError:  # a child came or went meanwhile
        return ""


def test_prefork_worker_processes_map_the_snapshot_without_waiting_for_a_task(settings):
    BankHashFactory()
    published = index_build().path
    assert published is not None
    db = connection.settings_dict
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "NCII_INDEX_DIR": settings.NCII_INDEX_DIR,
    }
    command = [*CELERY_WORKER, "--loglevel=WARNING", "--hostname", f"idx-prefork-{os.getpid()}@%h"]
    command[command.index("--pool=solo")] = "--pool=prefork"
    worker = subprocess.Popen([*command, "--concurrency=1"], cwd=ROOT, env=env)
    try:
        wait_for(lambda: published.name in _maps_of_children(worker.pid) or worker.poll() is not None)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=60)
