"""How fast a victim's withdrawal reaches a subscribed partner's webhook endpoint, end to end:
PostgreSQL, Redis, a real Celery worker process and a local HTTP receiver. Each withdrawal
commits (the case service, as the withdraw page and API call it), its delivery is published
after the commit, the worker signs and POSTs it; the receiver checks the signature and notes
the arrival. Prints p50/p90/p99/max latency and how many signatures verified.

    python -m benchmarks.webhook_latency_bench [--withdrawals 200] [--rate 20]

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432) and Redis at
BENCH_REDIS (default redis://127.0.0.1:6379/6); creates and drops its own database. Not a
test: it prints figures. The target is p99 under 5 s; the feed reaches a partner only at its
next poll."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/6")
DB_NAME = "ncii_webhook_bench"
ENV = {
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "CELERY_BROKER_URL": REDIS,
    "CELERY_TASK_DEFAULT_QUEUE": "ncii-webhook-bench",
    "NCII_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1",
    "NCII_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "ncii_site.settings",
}


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--withdrawals", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="withdrawals per second")
    parser.add_argument("--concurrency", type=int, default=1, help="worker processes (1: one solo worker)")
    args = parser.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    pool = ["--pool=solo"] if args.concurrency == 1 else ["--pool=prefork", f"--concurrency={args.concurrency}"]
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ncii_site",
            "worker",
            *pool,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
            "--hostname",
            f"webhook-bench-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run(args.withdrawals, args.rate)
        print(f"worker: {args.concurrency} process(es)")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


def run(count: int, rate: float) -> None:
    import redis

    from audit.services import Actor
    from cases.services import HashInput, case_create, case_withdraw
    from ncii_site.celery import app as celery_app
    from partners.services import partner_create
    from partners.webhook_signing import signature_verify
    from partners.webhooks import webhook_endpoint_create
    from tests.factories import random_pdq
    from tests.webhook_receiver import receiver_start

    redis.Redis.from_url(REDIS).delete(celery_app.conf.task_default_queue)
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not start")
    receiver = receiver_start()
    partner, _ = partner_create(name="bench-partner", actor=Actor.system("bench"))
    new = webhook_endpoint_create(partner=partner, url=receiver.url, events=["hash.withdrawn"], actor=Actor.system())
    cases = []
    for _ in range(count):
        value = random_pdq()
        case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
        cases.append((case.pk, value))
    sent: dict[str, float] = {}
    cpu_start = time.process_time()
    for case_id, value in cases:
        started = time.time()
        case_withdraw(case_id=case_id, actor=Actor.public())
        sent[value] = started
        time.sleep(max(0.0, 1 / rate - (time.time() - started)))
    submit_cpu = time.process_time() - cpu_start
    arrived = receiver.wait_for(count, timeout=120)
    latencies, verified = [], 0
    for got in arrived:
        value = json.loads(got.body)["data"]["hashValue"]
        latencies.append(got.at - sent[value])
        verified += signature_verify(
            header=got.headers["X-NCII-Signature"],
            timestamp=got.headers["X-NCII-Timestamp"],
            body=got.body,
            key_id=new.secret.key_id,
            secret=new.plaintext,
        )
    receiver.close()
    print(f"withdrawals {count} at {rate:g}/s; deliveries received {len(arrived)}, signatures verified {verified}")
    print(
        "withdrawal commit -> partner endpoint: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p90 {percentile(latencies, 0.9) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms (target: p99 < 5000 ms)"
    )
    print(f"web side CPU per withdrawal (commit + publish): {submit_cpu / count * 1000:.1f} ms")


if __name__ == "__main__":
    main()
