"""The index builder end to end on a database: ``manage.py index_build`` reading the active PDQ
hashes, building the tables and publishing the snapshot, in its own process (wall time, CPU
time, peak resident memory), then ``--if-changed`` with nothing changed; and what a process
without a snapshot pays meanwhile: the exact database path (``matching.bank_scan``) for one
query hash and for ten.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ncii_builder_bench python -m benchmarks.builder_bench
    DATABASE_URL=... python -m benchmarks.builder_bench --rows 100000      # a quick run

PostgreSQL only. The bank is made in SQL (random 256-bit values from ``md5``), in a database of its own: the
bench refuses to start if the bank already has rows, and deletes its rows at the end."""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FILL = """
INSERT INTO matching_bankhash (signal_type, value, quality, status, source, source_name, case_refs,
                               created_at, modified_at)
SELECT 'ImagePDQ', md5(i::text || 'a') || md5(i::text || 'b'), 90, 'Active', 'import', 'bench', '{}',
       now(), now() - make_interval(secs => i)
FROM generate_series(%s, %s) AS i
"""


def _fill(rows: int) -> None:
    from django.db import connection, transaction

    for lo in range(1, rows + 1, 500_000):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_FILL, [lo, min(rows, lo + 499_999)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE matching_bankhash")


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, (done.stdout + done.stderr).strip()


def _database_path(rows: int) -> None:
    import secrets

    from django.db import connection

    from matching.bank_scan import bank_scan_candidates

    for count in (1, 10):
        queries = [secrets.token_hex(32) for _ in range(count)]
        started = time.perf_counter()
        bank_scan_candidates(queries, 31)
        took = time.perf_counter() - started
        print(f"database path ({connection.vendor}), {count} query hash(es) over {rows:,} rows: {took:.2f} s")


def _create_database(url: str) -> None:
    """Creates the bench's database if it does not exist yet."""
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        psycopg.connect(url).close()
    except psycopg.OperationalError:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ncii-builder-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print("set DATABASE_URL to a PostgreSQL database of the bench's own")
        return 1
    _create_database(os.environ["DATABASE_URL"])
    os.environ["NCII_INDEX_DIR"] = str(tmp / "index")
    import django

    django.setup()
    from django.core.management import call_command

    from matching.models import BankHash

    call_command("migrate", verbosity=0)
    if BankHash.objects.exists():
        print("the bank already has rows: use a database of its own")
        return 1
    started = time.perf_counter()
    _fill(args.rows)
    print(f"bank of {args.rows:,} PDQ hashes made in {time.perf_counter() - started:.0f} s", flush=True)
    env = dict(os.environ)
    try:
        for label, extra in (("build", []), ("build --if-changed, nothing changed", ["--if-changed"])):
            wall, cpu, out = _run(["index_build", *extra], env)
            print(f"{label}: wall {wall:.1f} s, CPU {cpu:.1f} s -> {out.splitlines()[-1]}")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(f"builder peak resident memory (largest child): {peak / 2**20:,.0f} MiB")
        _database_path(args.rows)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        BankHash.objects.filter(source_name="bench").delete()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
