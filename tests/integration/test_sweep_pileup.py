"""A stopped worker does not come back to a pile of copies of its tasks: 200 reports taken
while no worker runs, five sweeps by the real sweeper (in a process of the stack's own,
publishing to the stack's Redis), then the worker back: every task that runs is in the
queue first, so counting the queue counts the runs. At most 2 per report (intake's own and
one sweep), where the sweeper used to add one per sweep."""

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from matching.models import MatchReport
from tests.integration.test_faults import (  # noqa: F401 - the stack fixture
    ROOT,
    assert_each_report_processed_exactly_once,
    post_all,
    processed,
    reports_batch,
    stack,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
QUEUE = "ncii"
SWEEPS = 5
SWEEP_SCRIPT = (
    "import django; django.setup()\n"
    "from matching.upkeep import reports_sweep\n"
    f"print([reports_sweep(older_than_seconds=60) for _ in range({SWEEPS})])\n"
)


def queued_per_report(broker: redis.Redis) -> Counter[int]:
    counts: Counter[int] = Counter()
    for raw in broker.lrange(QUEUE, 0, -1):
        headers = json.loads(raw)["headers"]
        assert headers["task"] == "moderation.report_process"
        counts[int(headers["argsrepr"].strip("(),"))] += 1
    return counts


def test_five_sweeps_with_the_worker_stopped_leave_at_most_two_tasks_per_report(stack):  # noqa: F811
    work = reports_batch(hashes=100, partners=2)
    stack.redis()
    stack.web()
    assert set(post_all(stack, work)) == {202}  # intake publishes one task each; no worker runs
    MatchReport.objects.update(received_at=timezone.now() - timedelta(minutes=5))  # long overdue

    env = {**stack.env, "DJANGO_SETTINGS_MODULE": "ncii_site.settings"}
    sweeps = subprocess.run([sys.executable, "-c", SWEEP_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert sweeps.returncode == 0, sweeps.stderr
    assert sweeps.stdout.split("\n")[-2] == str([len(work)] + [0] * (SWEEPS - 1))

    broker = redis.Redis(port=stack.redis_port)
    per_report = queued_per_report(broker)
    assert len(per_report) == len(work) and max(per_report.values()) <= 2
    print(f"\nqueued before the worker returns: {sum(per_report.values())} tasks for {len(work)} reports")

    stack.worker()
    wait_for(lambda: processed() == len(work), 180, "every report processed once the worker is back")
    wait_for(lambda: broker.llen(QUEUE) == 0 and not broker.hlen("unacked"), 120, "the queue drained")
    assert_each_report_processed_exactly_once(total=len(work), items=100)
