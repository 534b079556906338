"""End-to-end lookups: ``POST /api/v1/lookup`` with a partner key, through gunicorn as the README
runs it (``gunicorn -c gunicorn.conf.py ncii_site.wsgi``: the app preloaded, each worker mapping
the index snapshot before it takes traffic), against a bank of 10M PDQ hashes.

    python -m benchmarks.lookup_bench                   # 10M hashes
    python -m benchmarks.lookup_bench --size 1000000    # a quicker run

Prints p50/p99 latency and throughput for single-hash requests and for 1,000-hash requests,
the CPU seconds of the client, of the gunicorn workers and of their PostgreSQL backends (wall
time is noisy on a shared machine), and exactness: every sampled answer equal to brute force
over the whole bank, and every 1,000-hash answer equal to the single-hash answers.

What is synthetic. The bank and the queries are ``benchmarks.index_bench``'s (seeded random
hashes with planted near neighbours at distances 0..31, clusters of variants, random misses),
and the snapshot is built from those arrays as ``benchmarks.snapshot_bench`` builds it (ids
0..N-1), not read from the database by ``index_build``: loading 10M rows into PostgreSQL takes
about half an hour here. The database (its own, created and dropped: BENCH_PG, BENCH_LOOKUP_DB)
holds only the rows a lookup reads after the index answers: every bank hash that some query
matches, with the snapshot's id and value, Active, modified a day before the snapshot's horizon
(so the workers' delta is empty). Everything after the index is the real path: the partner's
key and throttle (its rate raised to 1,000,000/second so it never answers 429; per-second, so
its history stays short), the negative bank (empty), the rows by id, the distances checked
against the stored values, the verdicts query, JSON. Cache: the Redis at BENCH_CACHE_URL.
``DB_CONN_MAX_AGE`` is raised to an hour (60 s by default) so that each worker keeps the
backend whose CPU is counted."""

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from benchmarks.index_bench import RADIUS, make_data, to_hexes
from benchmarks.intake_bench import PG, Stack, percentile, psql, setup_django, wait_for
from benchmarks.pg_cpu import backend_cpu
from benchmarks.snapshot_bench import run_worker

DB_NAME = os.environ.get("BENCH_LOOKUP_DB", "ncii_lookup_bench")
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/9")
BATCH = 1000


def brute_force(bank: np.ndarray, query: str) -> list[tuple[str, int]]:
    from matching.hamming import _distances

    qwords = np.frombuffer(bytes.fromhex(query), dtype=">u8").astype(np.uint64)
    d = _distances(bank, qwords)
    hits = sorted(
        zip(np.flatnonzero(d <= RADIUS).tolist(), d[d <= RADIUS].tolist(), strict=True), key=lambda x: x[::-1]
    )
    return [(to_hexes(bank[i : i + 1])[0], dist) for i, dist in hits]


def matched_ids(index_dir: Path, queries: list[str]) -> set[int]:
    """Every bank id some query matches, from the published snapshot."""
    from matching import snapshot
    from matching.hamming import HammingIndex

    loaded = snapshot.open_snapshot(snapshot.current(index_dir))  # type: ignore[arg-type]
    index = HammingIndex.from_arrays(loaded.arrays, loaded.width)
    return {pk for q in queries for pk, _ in index.search(q, RADIUS)}


def seed_rows(bank: np.ndarray, ids: set[int], horizon: float) -> None:
    """The bank rows the answers need, with the snapshot's ids and values."""
    from django.db import connection

    from matching.models import BankHash

    before = datetime.fromtimestamp(horizon, UTC) - timedelta(days=1)
    columns = (
        "id, signal_type, value, quality, status, source, source_name, case_refs, created_at, modified_at, public_id"
    )
    with connection.cursor() as cursor, cursor.copy(f"COPY {BankHash._meta.db_table} ({columns}) FROM STDIN") as copy:
        for pk in sorted(ids):
            value = to_hexes(bank[pk : pk + 1])[0]
            copy.write_row(
                (pk, "ImagePDQ", value, 90, "Active", "import", "Lookup bench", "{}", before, before, uuid.uuid4())
            )


class Cpu:
    """CPU seconds of this process, the gunicorn workers and the database's backends."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid

    def _pids(self) -> tuple[list[int], list[int]]:
        from django.db import connection

        children = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children").read_text().split()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        return [int(c) for c in children], backends

    def sample(self) -> tuple[float, dict[int, float], dict[int, float]]:
        workers, backends = self._pids()
        return time.process_time(), {p: backend_cpu(p) for p in workers}, {p: backend_cpu(p) for p in backends}

    @staticmethod
    def spent(before: tuple, after: tuple) -> tuple[float, float, float]:  # type: ignore[type-arg]
        def delta(a: dict[int, float], b: dict[int, float]) -> float:
            return sum(b[p] - a.get(p, 0.0) for p in b)

        return after[0] - before[0], delta(before[1], after[1]), delta(before[2], after[2])


def run_phase(url: str, key: str, bodies: list[list[str]], clients: int) -> tuple[list[float], float, list[dict]]:
    import requests

    local = threading.local()

    def one(hashes: list[str]) -> tuple[float, dict]:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        started = time.perf_counter()
        response = session.post(
            url, json={"signalType": "ImagePDQ", "hashes": hashes}, headers={"Authorization": f"Bearer {key}"}
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text[:300]
        return elapsed, response.json()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        done = list(pool.map(one, bodies))
    return [t for t, _ in done], time.perf_counter() - started, [body for _, body in done]


def answer_pairs(result: dict) -> list[tuple[str, int]]:
    return [(m["hashValue"], m["distance"]) for m in result["matches"]]


def phase_line(label: str, latencies: list[float], wall: float, hashes: int, cpu: tuple[float, float, float]) -> str:
    client, web, db = cpu
    n = len(latencies)
    return (
        f"{label}: {n:,} requests ({hashes:,} hashes) in {wall:.1f} s = {n / wall:,.0f} requests/s, "
        f"{hashes / wall:,.0f} hashes/s; latency p50 {statistics.median(latencies) * 1e3:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms\n"
        f"    CPU: gunicorn workers {web:.1f} s ({web / n * 1e3:.2f} ms a request, {hashes / web:,.0f} hashes per "
        f"CPU-second), PostgreSQL backends {db:.1f} s ({db / n * 1e3:.2f} ms a request), client {client:.1f} s"
    )


def bench(args: argparse.Namespace, data: Path, stack: Stack) -> None:
    from audit.services import Actor
    from matching import snapshot
    from partners.services import partner_create

    started = time.perf_counter()
    bank, query_words, _ = make_data(args.size, args.seed + args.size)
    np.save(data / "bank.npy", bank)
    queries = to_hexes(query_words)
    print(f"[{args.size:,}] data ready in {time.perf_counter() - started:.0f} s", flush=True)
    build = run_worker("build", data)
    print(
        f"[{args.size:,}] snapshot built: tables {build['build_s']:.0f} s, file {build['file_bytes'] / 2**30:.2f} GiB"
    )
    index_dir = data / "index"
    ids = matched_ids(index_dir, queries)
    seed_rows(bank, ids, snapshot.read_header(snapshot.current(index_dir))["horizon"])  # type: ignore[arg-type]
    _, keys = partner_create(name=f"lookup-bench-{secrets.token_hex(3)}", actor=Actor.system("bench"))
    print(f"[{args.size:,}] database: {len(ids):,} bank rows (those the {len(queries):,} queries match)", flush=True)

    stack.start("web", sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "ncii_site.wsgi")
    import requests

    base = f"http://127.0.0.1:{stack.web_port}"
    boot = wait_for(lambda: _ready(requests, base), 300)
    url = f"{base}/api/v1/lookup"
    run_phase(url, keys.api_key, [[q] for q in queries[:50]], args.clients)  # every worker's first requests
    cpu = Cpu(stack.procs["web"].pid)

    mark = cpu.sample()
    latencies, wall, singles = run_phase(url, keys.api_key, [[q] for q in queries], args.clients)
    single_cpu = Cpu.spent(mark, cpu.sample())
    cycled = [queries[(i * BATCH + j) % len(queries)] for i in range(args.batches) for j in range(BATCH)]
    bodies = [cycled[i * BATCH : (i + 1) * BATCH] for i in range(args.batches)]
    mark = cpu.sample()
    batch_latencies, batch_wall, batched = run_phase(url, keys.api_key, bodies, args.clients)
    batch_cpu = Cpu.spent(mark, cpu.sample())

    single_answers = [answer_pairs(body["results"][0]) for body in singles]
    in_batches = [answer_pairs(r) for body in batched for r in body["results"]]
    batch_equal = sum(a == single_answers[i % len(queries)] for i, a in enumerate(in_batches))
    sample = range(0, len(queries), max(1, len(queries) // args.brute))
    brute_equal = sum(single_answers[i] == brute_force(bank, queries[i]) for i in sample)
    matches = sum(len(a) for a in single_answers)

    workers = os.environ.get("GUNICORN_WORKERS", "4")
    print(
        f"\n=== POST /api/v1/lookup, {args.size:,}-hash bank "
        f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)"
    )
    print(
        f"gunicorn -c gunicorn.conf.py: {workers} sync workers, ready {boot:.1f} s after start; {args.clients} clients"
    )
    print(phase_line("single-hash", latencies, wall, len(queries), single_cpu))
    print(phase_line(f"{BATCH:,}-hash", batch_latencies, batch_wall, len(cycled), batch_cpu))
    print(f"answers: {matches:,} matches for {len(queries):,} queries (planted at distances 0..31, clusters, misses)")
    print(f"exact: == brute force over the whole bank on {brute_equal}/{len(sample)} sampled queries; "
          f"{BATCH:,}-hash answers == single-hash answers on {batch_equal:,}/{len(in_batches):,}")  # fmt: skip


def _ready(requests, base: str) -> bool:  # type: ignore[no-untyped-def]
    try:
        body = requests.get(f"{base}/readyz", timeout=5).json()
    except (requests.RequestException, json.JSONDecodeError):
        return False
    return body["checks"]["index"].get("mode") == "snapshot"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20250)
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--batches", type=int, default=20, help=f"requests of {BATCH:,} hashes")
    parser.add_argument("--brute", type=int, default=100, help="queries checked against brute force")
    args = parser.parse_args(argv)
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ncii-lookup-bench-") as tmp:
        data = Path(tmp)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ncii_site.settings",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "CACHE_URL": CACHE_URL,
            "NCII_INDEX_DIR": str(data / "index"),
            "NCII_THROTTLE_PARTNER": "1000000/second",
            "DB_CONN_MAX_AGE": "3600",  # each worker keeps one backend, whose CPU is counted
            "LOG_LEVEL": "WARNING",
        }
        stack = Stack(env, tmp)
        env["GUNICORN_BIND"] = f"127.0.0.1:{stack.web_port}"
        try:
            setup_django(env)
            bench(args, data, stack)
        finally:
            stack.stop_all()
            from django.db import connections

            connections.close_all()
            psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    print(f"\n[{args.size:,}] total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
