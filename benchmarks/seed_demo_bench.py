"""Time `manage.py seed_demo`, a year of demo history, on a fresh SQLite file as `make run`
makes it (no broker: tasks in-process). Not part of the test suite.

    python -m benchmarks.seed_demo_bench [--runs 3]

Each run migrates a new database (not timed), then seeds it in a process of its own and prints
the wall time, that process's CPU time (user + system: what the seeding costs on an idle
machine) and the machine's load average, which says how much of the wall time was waiting."""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 30


def _env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "CACHE_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return env


def _manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def run_once(folder: Path, n: int) -> tuple[float, float, str]:
    env = _env(folder / f"demo-{n}.sqlite3")
    _manage("migrate", "--noinput", env=env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = _manage("seed_demo", env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.runs):
            wall, cpu, summary = run_once(Path(folder), n)
            walls.append(wall)
            cpus.append(cpu)
            load = os.getloadavg()[0]
            print(f"run {n + 1}: {wall:5.1f} s wall, {cpu:5.1f} s CPU, load {load:.1f} | {summary}", flush=True)
    print(
        f"seed_demo (process start to exit): median {statistics.median(walls):.1f} s wall, "
        f"{statistics.median(cpus):.1f} s CPU; target {TARGET_SECONDS} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
