"""End-to-end intake on this machine: PostgreSQL, a Redis of its own, gunicorn and one Celery
worker, all real processes. Prints reports/s accepted by the API (p50/p99 latency), reports/s
drained by the worker, with and without review images, and hashing throughput per core next to
raw ``pdqhash.compute`` on the same decoded pixels.

    python -m benchmarks.intake_bench [--reports 1000] [--image-reports 200]

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432) and redis-server on
PATH; creates and drops its own database. Not a test: it prints figures."""

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "ncii_intake_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise SystemExit("timed out")
        time.sleep(0.05)
    return time.monotonic() - start


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def photo_jpeg(seed: int) -> tuple[bytes, str]:
    import numpy as np
    from PIL import Image

    from matching.pdq import pdq_hex

    rng = np.random.default_rng(seed)
    small = Image.fromarray(rng.integers(0, 255, (12, 16, 3), dtype=np.uint8)).resize((1600, 1200), Image.BICUBIC)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=88)
    return out.getvalue(), pdq_hex(small)[0]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Stack:
    def __init__(self, env: dict[str, str], workdir: str) -> None:
        self.env, self.workdir, self.procs = env, workdir, {}
        self.web_port = free_port()

    def start(self, name: str, *args: str) -> None:
        log = open(Path(self.workdir) / f"{name}.log", "a")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def post_batch(url: str, key: str, bodies: list[dict], files: list[bytes | None]) -> tuple[list[float], float]:
    import requests

    session_headers = {"Authorization": f"Bearer {key}"}

    def one(i: int) -> float:
        start = time.perf_counter()
        if files[i] is None:
            response = requests.post(url, json=bodies[i], headers=session_headers, timeout=60)
        else:
            response = requests.post(
                url, data=bodies[i], files={"image": files[i]}, headers=session_headers, timeout=60
            )
        assert response.status_code == 202, response.text
        return time.perf_counter() - start

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        latencies = list(pool.map(one, range(len(bodies))))
    return latencies, time.perf_counter() - started


def run_phase(stack: Stack, key: str, label: str, bodies: list[dict], files: list[bytes | None]) -> None:
    from matching.models import MatchReport

    url = f"http://127.0.0.1:{stack.web_port}/api/v1/matches"
    before = MatchReport.objects.filter(status="processed").count()
    latencies, elapsed = post_batch(url, key, bodies, files)
    n = len(bodies)
    print(
        f"{label}: API accepted {n} reports in {elapsed:.2f}s = {n / elapsed:.0f} reports/s; "
        f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    stack.start(
        "worker",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ncii_site",
        "worker",
        "--pool=solo",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=WARNING",
    )
    done = MatchReport.objects.filter(status="processed")
    wait_for(lambda: done.count() > before, 120)  # the worker is up and taking tasks
    started = done.count()
    drained = wait_for(lambda: done.count() >= before + n, 600)
    print(
        f"{label}: one worker drained {before + n - started} queued reports in {drained:.2f}s = "
        f"{(before + n - started) / drained:.0f} reports/s"
    )
    stack.stop("worker")


def hashing_throughput(images: list[bytes]) -> None:
    import numpy as np
    import pdqhash
    from PIL import Image

    from matching.images import derivative_hashes, derivative_make, hashes_of, image_decode, image_open

    decoded = [image_decode(image_open(data, max_pixels=10**9)) for data in images]
    arrays = [np.asarray(rgb) for rgb in decoded]
    derivatives = [derivative_make(rgb).jpeg for rgb in decoded]
    full = [np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) for data in images]
    for label, work in [
        ("raw pdqhash.compute on the intake-decoded pixels", lambda: [pdqhash.compute(a) for a in arrays]),
        ("intake hashing (PDQ + quality + pHash) of decoded pixels", lambda: [hashes_of(r) for r in decoded]),
        (
            "re-hash of stored derivatives (decrypted JPEG decode + PDQ + pHash)",
            lambda: [derivative_hashes(d) for d in derivatives],
        ),
        ("raw pdqhash.compute on full-resolution decoded pixels", lambda: [pdqhash.compute(a) for a in full]),
    ]:
        start = time.perf_counter()
        work()
        rate = len(images) / (time.perf_counter() - start)
        print(f"  {label}: {rate:.1f} images/s on one core")
    start = time.perf_counter()
    for data in images:
        image_decode(image_open(data, max_pixels=10**9))
    print(f"  JPEG draft decode (1600x1200 -> >=1024 px): {len(images) / (time.perf_counter() - start):.1f} images/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--image-reports", type=int, default=200)
    args = parser.parse_args()
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    workdir = tempfile.mkdtemp(prefix="ncii-intake-bench-")
    redis_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ncii_site.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "NCII_THROTTLE_PARTNER": "1000000/minute",
        "NCII_INDEX_REFRESH_SECONDS": "1",
    }
    stack = Stack(env, workdir)
    try:
        stack.start(
            "redis",
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        )
        setup_django(env)
        bench(stack, args)
    finally:
        stack.stop_all()
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


def bench(stack: Stack, args: argparse.Namespace) -> None:
    import secrets

    from audit.services import Actor
    from matching.models import BankHash
    from partners.services import partner_create

    _, keys = partner_create(name="bench", actor=Actor.system("bench"))
    plain = [secrets.token_hex(32) for _ in range(args.reports)]
    photos = [photo_jpeg(i) for i in range(args.image_reports)]
    from django.utils import timezone

    BankHash.objects.bulk_create(
        [
            BankHash(signal_type="ImagePDQ", value=v, quality=90, modified_at=timezone.now())
            for v in plain + [h for _, h in photos]
        ]
    )
    stack.start(
        "web",
        sys.executable,
        "-m",
        "gunicorn",
        "ncii_site.wsgi",
        "-b",
        f"127.0.0.1:{stack.web_port}",
        "-w",
        "2",
        "--threads",
        "4",
    )
    import requests

    wait_for(lambda: _up(requests, stack.web_port), 30)
    print(
        f"machine: {os.cpu_count()} cores; gunicorn 2 workers x 4 threads; 8 concurrent clients; "
        "PostgreSQL + Redis + one Celery worker (solo pool)"
    )
    run_phase(
        stack,
        keys.api_key,
        "without images",
        [{"signalType": "ImagePDQ", "hashValue": v, "contentId": f"c{i}"} for i, v in enumerate(plain)],
        [None] * len(plain),
    )
    run_phase(
        stack,
        keys.api_key,
        f"with images (1600x1200 JPEG, ~{len(photos[0][0]) // 1024} KB)",
        [{"signalType": "ImagePDQ", "hashValue": h, "contentId": f"img{i}"} for i, (_, h) in enumerate(photos)],
        [data for data, _ in photos],
    )
    print("hashing throughput:")
    hashing_throughput([data for data, _ in photos[:50]])


def _up(requests, port: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
