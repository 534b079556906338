"""FetchHashes benchmark: a full keyset walk of a bank of 1M hashes through
``matching.exchange_selectors.fetch_page``, at the default and the maximum page size.

    python -m benchmarks.fetch_bench                 # 1M rows in a throwaway SQLite file under /tmp
    python -m benchmarks.fetch_bench --rows 100000   # a quick run
    DATABASE_URL=postgres://... python -m benchmarks.fetch_bench [--before] [--keep | --reuse]

With ``DATABASE_URL`` set the bench uses that database: it runs the migrations, refuses to
start if the bank already has rows (it never mixes with real data), and deletes its rows at
the end unless ``--keep``; ``--reuse`` walks the bank such a run left (seeding 1M rows takes
minutes). Without it, a new SQLite file is made and removed afterwards. On PostgreSQL the bench
runs ANALYZE first (as import_hashes does), and ``--before`` also walks through the ORM path
that PostgreSQL used before its pages were built in SQL.

The bank is made with ``bulk_create``: random PDQ values, ``modified_at`` spread over a year
(with runs of bulk-imported rows sharing one timestamp, as imports do, so the keyset's
tie-break on id is exercised), case references on case rows, and feedback from partners or
the hub on a share of them. ``NCII_EXCHANGE_SETTLE_SECONDS`` is 0 so every row is visible."""

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from benchmarks.pg_cpu import CpuClock

DEFAULT_PAGE_SIZE = 800  # FetchHashesApi's default pageSize
CHUNK = 20_000
PARTNERS = 5
IMPORT_SHARE, IMPORT_RUN = 0.2, 1000  # a fifth of the rows come in imports of 1000 sharing a time
FEEDBACK_SHARE, HUB_FEEDBACK_SHARE = 0.10, 0.02


def configure(database_url: str | None) -> Path | None:
    """Environment for Django; returns the throwaway SQLite file, if one is used."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")
    os.environ["NCII_EXCHANGE_SETTLE_SECONDS"] = "0"
    sqlite_file = None
    if not database_url:
        sqlite_file = Path(tempfile.gettempdir()) / f"ncii-fetch-bench-{os.getpid()}.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_file}"
    import django

    django.setup()
    return sqlite_file


def seed(rows: int, seed_value: int) -> tuple[int, int]:
    """Creates the bank; returns (bank hashes, feedback rows)."""
    from django.db import transaction

    from matching.models import BankHash, HashFeedback
    from partners.models import Partner

    rng = np.random.default_rng(seed_value)
    partners = Partner.objects.bulk_create(
        [Partner(name=f"bench-partner-{i}", display_name=f"Bench Partner {i}") for i in range(PARTNERS)]
    )
    now = datetime.now(UTC)
    year_us = 365 * 86_400 * 1_000_000
    oldest = now - timedelta(microseconds=year_us) - timedelta(minutes=1)

    # modified_at: individual changes at random moments, plus imports sharing one moment.
    moments = rng.integers(0, year_us, size=rows)
    imported = rng.random(rows) < IMPORT_SHARE
    runs = np.cumsum(imported) // IMPORT_RUN
    run_moment = rng.integers(0, year_us, size=int(runs.max()) + 1 if rows else 1)
    moments = np.where(imported, run_moment[runs], moments)

    values = rng.bytes(32 * rows).hex()
    feedback_values = [v for v in HashFeedback.Value.values if v != HashFeedback.Value.NONE]
    made_hashes = made_feedback = 0
    started = time.perf_counter()
    for lo in range(0, rows, CHUNK):
        hi = min(lo + CHUNK, rows)
        batch = []
        for i in range(lo, hi):
            modified = oldest + timedelta(microseconds=int(moments[i]))
            if imported[i]:
                source, refs = BankHash.Source.IMPORT, {}
            else:
                source = BankHash.Source.CASE
                refs = {f"ref-{rng.bytes(10).hex()}": "Active" for _ in range(1 + int(rng.random() < 0.1))}
            batch.append(
                BankHash(
                    signal_type="ImagePDQ",
                    value=values[64 * i : 64 * (i + 1)],
                    quality=int(rng.integers(50, 101)),
                    status=BankHash.Status.ACTIVE,
                    source=source,
                    source_name="Bench import" if imported[i] else "",
                    case_refs=refs,
                    modified_at=modified,
                )
            )
        with transaction.atomic():
            BankHash.objects.bulk_create(batch)
            feedback = []
            for bank_hash in batch:
                assert bank_hash.pk is not None, "bulk_create must return primary keys (SQLite >= 3.35, PostgreSQL)"
                draw = rng.random()
                if draw < FEEDBACK_SHARE:
                    chosen = rng.choice(PARTNERS, size=int(rng.integers(1, 4)), replace=False)
                    owners = [partners[int(p)] for p in chosen]
                    owners += [None] if draw < HUB_FEEDBACK_SHARE else []
                    for owner in owners:
                        feedback.append(
                            HashFeedback(
                                bank_hash=bank_hash,
                                partner=owner,
                                value=feedback_values[int(rng.integers(len(feedback_values)))],
                                tags=["bench"] if rng.random() < 0.5 else [],
                                updated_at=bank_hash.modified_at,
                            )
                        )
            HashFeedback.objects.bulk_create(feedback)
        made_hashes += len(batch)
        made_feedback += len(feedback)
        if (hi // CHUNK) % 10 == 0 or hi == rows:
            rate = made_hashes / (time.perf_counter() - started)
            print(f"  seeded {made_hashes:,} hashes, {made_feedback:,} feedback ({rate:,.0f} hashes/s)", flush=True)
    return made_hashes, made_feedback


@contextmanager
def orm_pages():
    """The previous path on PostgreSQL too: the ORM query, a prefetch and a dict per record."""
    from matching import exchange

    real = exchange.page_json
    exchange.page_json = exchange.page_json_orm
    try:
        yield
    finally:
        exchange.page_json = real


def walk(page_size: int, cap_s: float) -> dict:
    """A full walk from startTimestamp 0: fetch_page alone is timed, and the API's response
    body (page_body) apart. Stopped (and marked capped) after ``cap_s``."""
    from django.db import connection

    from matching.exchange_selectors import fetch_page, page_body

    token, records, page_times, encode_s, seen = None, 0, [], 0.0, set()
    started, capped = time.perf_counter(), False
    clock = CpuClock().start() if connection.vendor == "postgresql" else None
    while True:
        t0 = time.perf_counter()
        page = fetch_page(start=0, page_size=page_size, token=token)
        page_times.append(time.perf_counter() - t0)
        t1 = time.perf_counter()
        page_body(page)
        encode_s += time.perf_counter() - t1
        records += page.count
        seen.update(r["hashValue"] for r in page.records)  # parsed for the check, outside the timings
        if page.next_token is None:
            break
        if time.perf_counter() - started > cap_s:
            capped = True
            break
        token = page.next_token
    _, client_cpu, server_cpu = clock.stop() if clock else (0.0, 0.0, 0.0)
    fetch_s = sum(page_times)
    ms = np.asarray(page_times) * 1e3
    tenth = max(1, len(ms) // 10)
    return {
        "page_size": page_size,
        "capped": capped,
        "records": records,
        "distinct": len(seen),
        "pages": len(page_times),
        "fetch_s": fetch_s,
        "records_per_s": records / fetch_s,
        "with_json_per_s": records / (fetch_s + encode_s),
        "page_p50_ms": float(np.percentile(ms, 50)),
        "page_p99_ms": float(np.percentile(ms, 99)),
        "first_tenth_ms": float(ms[:tenth].mean()),
        "last_tenth_ms": float(ms[-tenth:].mean()),
        "cpu_s": client_cpu + server_cpu,
    }


def cleanup() -> None:
    from django.db import connection

    from matching.models import BankHash, HashFeedback
    from partners.models import Partner

    with connection.cursor() as cursor:
        for model in (HashFeedback, BankHash):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
    Partner.objects.filter(name__startswith="bench-partner-").delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250)
    parser.add_argument("--cap", type=float, default=600.0, help="seconds allowed per walk")
    parser.add_argument("--keep", action="store_true", help="keep the rows (and the SQLite file) afterwards")
    parser.add_argument("--reuse", action="store_true", help="walk the bench bank an earlier --keep run left")
    parser.add_argument("--before", action="store_true", help="also walk with the ORM path (PostgreSQL)")
    parser.add_argument("--before-cap", type=float, default=120.0, help="seconds allowed per ORM walk")
    args = parser.parse_args(argv)

    sqlite_file = configure(os.environ.get("DATABASE_URL"))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from matching.models import BankHash, HashFeedback

    db = connection.settings_dict
    where = str(sqlite_file) if sqlite_file else f"{db['ENGINE'].rsplit('.', 1)[-1]} database {db['NAME']!r}"
    print(f"FetchHashes walk benchmark: {args.rows:,} bank hashes in {where}, settle window 0 s", flush=True)
    ok = mine = False
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        if args.reuse and BankHash.objects.exists():
            if not BankHash.objects.filter(source_name="Bench import").exists():
                print("  refusing: the bank in this database is not one the bench made")
                return 2
            hashes, feedback = BankHash.objects.count(), HashFeedback.objects.count()
            print("  reusing the bench bank kept by an earlier --keep run", flush=True)
        elif BankHash.objects.exists():
            print("  refusing: the bank in this database is not empty (the bench only runs on an empty one)")
            return 2
        else:
            mine = True
            hashes, feedback = seed(args.rows, args.seed)
            print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as import_hashes does: planned for an empty table, pages were 5x slower
        sizes = (DEFAULT_PAGE_SIZE, settings.NCII_EXCHANGE_MAX_PAGE_SIZE)
        walks = [("set-based SQL", walk(size, args.cap)) for size in sizes]
        if args.before and connection.vendor == "postgresql":
            with orm_pages():
                walks += [("ORM (before)", walk(size, args.before_cap)) for size in sizes]
        print()
        print(f"=== FetchHashes walk of a {hashes:,}-hash bank ({feedback:,} feedback rows), {connection.vendor}")
        header = (
            f"{'path':<14} {'page size':>9} {'pages':>6} {'records':>10} {'walk s':>7} {'records/s':>10} "
            f"{'+body rec/s':>11} {'rec/CPU-s':>10} {'page p50 ms':>11} {'page p99 ms':>11} {'1st 10% ms':>10} "
            f"{'last 10% ms':>11}"
        )
        print(header)
        print("-" * len(header))
        for path, w in walks:
            per_cpu = f"{w['records'] / w['cpu_s']:>10,.0f}" if w["cpu_s"] else f"{'-':>10}"
            print(
                f"{path:<14} {w['page_size']:>9} {w['pages']:>6,} {w['records']:>10,} {w['fetch_s']:>7.1f} "
                f"{w['records_per_s']:>10,.0f} {w['with_json_per_s']:>11,.0f} {per_cpu} "
                f"{w['page_p50_ms']:>11.1f} {w['page_p99_ms']:>11.1f} "
                f"{w['first_tenth_ms']:>10.1f} {w['last_tenth_ms']:>11.1f}"
                + (f"  CAPPED after {w['fetch_s']:.0f} s: not a full walk" if w["capped"] else "")
            )
        print("    records/s = fetch_page alone (the page's query and its JSON); +body = with the response body;")
        print("    rec/CPU-s = per CPU-second of this process and its PostgreSQL backend together (PostgreSQL only);")
        print("    1st/last 10% = mean time of a page in the first and the last tenth of the walk")
        ok = all(w["records"] == w["distinct"] == hashes for _, w in walks if not w["capped"])
        if not ok:
            print("    ERROR: a walk did not return every record exactly once")
        return 0 if ok else 1
    finally:
        if not args.keep:
            if sqlite_file:
                connection.close()
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
            elif mine or args.reuse:
                cleanup()


if __name__ == "__main__":
    sys.exit(main())
