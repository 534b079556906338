"""Load on the production shape, driven by locust (benchmarks/locustfile.py): gunicorn x3, a
Celery worker and beat, on PostgreSQL and a Redis of its own (broker, and cache for throttles
and the PIN guard). Partners page FetchHashes, look hashes up and report matches with and
without images; victims create cases, check them by PIN and load their pages; staff load the
dashboard. Prints throughput and p50/p99 per endpoint and the count of 5xx answers, then the
same with the image attack of issue 10 §1 running beside it (three attackers sending
decompression bombs back to back, and a probe loading /cases/check/ every 200 ms).

    python -m benchmarks.load_bench                 # 5 minutes of load, then 5 with the attack
    python -m benchmarks.load_bench --quick         # 1 minute each
    python -m benchmarks.load_bench --attack-only --duration 30   # §1: the attack loop alone

Needs PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432), redis-server on
PATH and locust (`pip install -e .[bench]`); creates and drops its own database. Not a test."""

import argparse
import base64
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.intake_bench import PG, ROOT, Stack, free_port, photo_jpeg, psql, setup_django, wait_for

DB_NAME = "image_worker_load_bench"
NORMAL = ["Partner", "Victim", "Staff"]
ATTACK = ["Attacker", "Probe"]


def stack_env(redis_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ncii_site.settings",
        "DATABASE_URL": f"{PG}/{DB_NAME}",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CACHE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "NCII_THROTTLE_PARTNER": "1000000/minute",
        "NCII_THROTTLE_CASE_CREATE": "1000000/hour",
        "NCII_THROTTLE_CASE_PIN": "1000000/hour",
        "NCII_INDEX_REFRESH_SECONDS": "1",
    }


def seed(workdir: str) -> Path:
    """The bank, partners, cases with their PINs and a staff session; written for locust."""
    from django.utils import timezone

    from audit.services import Actor
    from cases.services import HashInput, case_create
    from matching.models import BankHash
    from partners.services import partner_create
    from tests.factories import UserFactory
    from tests.images import encode, gif_bomb, photo_like, png_bomb, webp_bomb
    from tests.staff_helpers import signed_in

    _, keys = partner_create(name="load", actor=Actor.system("bench"))
    _, attacker = partner_create(name="attacker", actor=Actor.system("bench"))
    bank = [secrets.token_hex(32) for _ in range(20_000)]
    photos = [photo_jpeg(i) for i in range(20)]
    rows = [BankHash(signal_type="ImagePDQ", value=v, quality=90, modified_at=timezone.now()) for v in bank]
    rows += [BankHash(signal_type="ImagePDQ", value=h, quality=90, modified_at=timezone.now()) for _, h in photos]
    BankHash.objects.bulk_create(rows, batch_size=5000)
    cases = []
    for _ in range(20):
        case, pin = case_create(hashes=[HashInput("ImagePDQ", secrets.token_hex(32), 90)], actor=Actor.public())
        cases.append((case.number, pin))
    senior = UserFactory(username="bench-senior", role="senior_moderator")  # the queue and the metrics page
    session = signed_in(senior).cookies["sessionid"].value
    bombs = [
        ("webp-34B-9400", webp_bomb(), 413),
        ("png-86KB-9400", png_bomb(), 413),
        ("gif-65KB-9400", gif_bomb(), 413),
        ("png-16MP-zeros", png_bomb(4000, 4000), 202),
        ("truncated-jpeg", encode(photo_like(7))[:6000], 202),
    ]
    config = {
        "api_key": keys.api_key,
        "attacker_key": attacker.api_key,
        "subscription_key": keys.subscription_key,
        "fetch_key": keys.function_keys["FetchHashes"],
        "bank": bank,
        "fetch_starts": [0, int(time.time()) - 60],
        "photos": [(h, base64.b64encode(jpeg).decode()) for jpeg, h in photos],
        "cases": cases,
        "session": session,
        "bombs": [(name, base64.b64encode(data).decode(), status) for name, data, status in bombs],
        "errors_path": str(Path(workdir) / "errors.json"),
    }
    path = Path(workdir) / "config.json"
    path.write_text(json.dumps(config))
    return path


def web_workers(stack: Stack) -> set[int]:
    master = stack.procs["web"].pid
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


def tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *(p for child in children for p in tree(int(child)))]


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live children (exited children: their reaped totals)."""
    total = 0.0
    for p in tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pids: set[int]) -> float:
    def hwm(pid: int) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))

    return max(hwm(pid) for pid in pids) / 1024


def run_locust(stack: Stack, config: Path, classes: list[str], users: int, seconds: int, prefix: str) -> None:
    subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
            "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--stop-timeout", "10",
            "--host", f"http://127.0.0.1:{stack.web_port}", "--csv", prefix, "--only-summary",
            "--loglevel", "ERROR", *classes,
        ],
        cwd=ROOT, env={**os.environ, "LOAD_BENCH_CONFIG": str(config)}, check=False,
        stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "w"),  # noqa: SIM115
    )  # fmt: skip


def report(prefix: str, label: str, errors_path: str) -> None:
    with open(f"{prefix}_stats.csv") as f:
        rows = list(csv.DictReader(f))
    errors = json.loads(Path(errors_path).read_text()) if Path(errors_path).exists() else {}
    print(f"\n{label}")
    print(f"  {'endpoint':34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5} {'5xx':>4}")
    for row in rows:
        name = row["Name"]
        server_errors = sum(errors.values()) if name == "Aggregated" else errors.get(name, 0)
        print(
            f"  {name[:34]:34} {row['Request Count']:>8} {float(row['Requests/s']):7.1f} {row['50%']:>7} "
            f"{row['99%']:>7} {row['Failure Count']:>5} {server_errors:>4}"
        )


def drain(label: str) -> None:
    from matching.models import MatchReport, ReviewUpload

    started = time.monotonic()
    waiting = MatchReport.objects.exclude(status="processed")
    wait_for(lambda: not waiting.exists(), 900)
    refused = MatchReport.objects.exclude(image_refused="").count()
    print(
        f"  {label}: all {MatchReport.objects.count()} reports processed {time.monotonic() - started:.0f} s after "
        f"the load stopped; {refused} images refused by the worker; uploads left: {ReviewUpload.objects.count()}"
    )


def phase(stack: Stack, config: Path, workdir: str, label: str, classes: list[str], users: int, seconds: int) -> None:
    web_before, worker_pid = web_workers(stack), stack.procs["worker"].pid
    web_cpu = cpu_seconds(stack.procs["web"].pid)
    prefix = str(Path(workdir) / label.split()[0].replace("/", "-"))
    errors_path = json.loads(config.read_text())["errors_path"]
    Path(errors_path).unlink(missing_ok=True)
    run_locust(stack, config, classes, users, seconds, prefix)
    report(prefix, f"{label}: {users} users for {seconds} s ({' + '.join(classes)})", errors_path)
    replaced = len(web_before - web_workers(stack))
    alive = stack.procs["worker"].poll() is None and stack.procs["worker"].pid == worker_pid
    print(f"  gunicorn workers killed and replaced: {replaced}; Celery worker alive throughout: {alive}")
    print(
        f"  gunicorn CPU time in the phase: {cpu_seconds(stack.procs['web'].pid) - web_cpu:.1f} s; "
        f"largest web worker's peak RSS so far: {peak_rss_mb(web_workers(stack)):.0f} MB"
    )
    drain(label)


def start(stack: Stack) -> None:
    import requests

    stack.start(
        "web", sys.executable, "-m", "gunicorn", "ncii_site.wsgi", "-b", f"127.0.0.1:{stack.web_port}",
        "-w", "3", "--threads", "4", "--timeout", "30", "--keep-alive", "75",  # longer than any client's pause
    )  # fmt: skip
    stack.start(
        "worker",
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ncii_site",
        "worker",
        "--concurrency",
        "2",
        "--loglevel=WARNING",
    )
    stack.start("beat", sys.executable, "-m", "celery", "-A", "ncii_site", "beat", "--loglevel=WARNING",
                "--schedule", str(Path(stack.workdir) / "beat-schedule"))  # fmt: skip
    wait_for(lambda: _up(requests, stack.web_port), 60)
    for _ in range(12):  # every worker has loaded the app and its templates before anything is measured
        for path in ("/", "/cases/check/", "/cases/new/"):
            requests.get(f"http://127.0.0.1:{stack.web_port}{path}", timeout=60)


def _up(requests, port: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=300, help="seconds per phase")
    parser.add_argument("--quick", action="store_true", help="60 s per phase")
    parser.add_argument("--users", type=int, default=24, help="simulated partners, victims and staff")
    parser.add_argument("--attack-only", action="store_true", help="issue 10 §1: attackers, probe, two partners")
    args = parser.parse_args()
    seconds = 60 if args.quick else args.duration
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    workdir = tempfile.mkdtemp(prefix="ncii-load-bench-")
    redis_port = free_port()
    stack = Stack(stack_env(redis_port), workdir)
    try:
        stack.start("redis", "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", workdir)  # fmt: skip
        setup_django(stack.env)
        config = seed(workdir)
        start(stack)
        print(
            f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run; gunicorn 3 x 4 "
            "threads, one Celery worker (2 processes), beat, PostgreSQL, Redis; locust on the same machine"
        )
        if args.attack_only:
            phase(stack, config, workdir, "baseline (no attack)", ["Probe", "Partner"], 3, seconds)
            phase(stack, config, workdir, "attack (§1)", ["Attacker", "Probe", "Partner"], 6, seconds)
            return
        phase(stack, config, workdir, "load", NORMAL, args.users, seconds)
        phase(stack, config, workdir, "load+attack", NORMAL + ATTACK, args.users + 4, seconds)
    finally:
        stack.stop_all()
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")


if __name__ == "__main__":
    main()
