"""Time the metrics page's aggregate queries (and the partner pages' usage queries) on about a
million rows per table, on PostgreSQL. Not part of the test suite.

    createdb -h 127.0.0.1 -U postgres ncii_metrics_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ncii_metrics_bench \\
        python benchmarks/metrics_bench.py [--rows 1000000] [--runs 5] [--explain]
    dropdb -h 127.0.0.1 -U postgres ncii_metrics_bench

It refuses a database whose name does not contain "bench", migrates it, fills it with
bulk_create when it is empty (bank hashes, cases, match reports, review items and audit events:
``--rows`` each, spread over two years), runs ANALYZE, then times each figure uncached and
prints the median and worst of ``--runs`` runs: first computed live (before), then built by
beat's daily rollup (after; with the rollup's build time). ``--explain`` prints each query's plan."""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.models import AuditEvent  # noqa: E402
from cases.models import Case  # noqa: E402
from hub.metrics import FIGURES, metrics_compute  # noqa: E402
from hub.models import MetricsDay  # noqa: E402
from hub.rollups import metrics_rollup_build  # noqa: E402
from matching.models import BankHash, MatchReport  # noqa: E402
from moderation.models import ReviewItem  # noqa: E402
from partners.models import Partner, PartnerUsage  # noqa: E402
from partners.selectors import partner_list_admin, partner_usage_get  # noqa: E402

BATCH = 10_000
SPAN = timedelta(days=730)
MODERATORS = 40
rng = random.Random(20261126)


def main() -> None:
    args = _arguments()
    _check_database()
    call_command("migrate", verbosity=0)
    if not ReviewItem.objects.exists():
        _load(args.rows)
    MetricsDay.objects.all().delete()  # "before": every figure live
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _report(args.runs, args.explain)
    _rollup_report(args.runs, args.explain)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per table (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (default 5)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each query")
    return parser.parse_args()


def _check_database() -> None:
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"Refusing {connection.vendor} database {name!r}: use a PostgreSQL database named *bench*.")


# --- loading ----------------------------------------------------------------------------------


@contextmanager
def _explicit_timestamps(*fields: Any) -> Iterator[None]:
    """Let bulk_create keep the timestamps we give instead of stamping now()."""
    for model_field in fields:
        model_field.auto_now_add = False
    try:
        yield
    finally:
        for model_field in fields:
            model_field.auto_now_add = True


def _when(now: datetime) -> datetime:
    return now - SPAN * rng.random() ** 1.5  # more recent rows than old ones: a growing hub


def _bulk(model: type, rows: Iterator[Any], total: int) -> None:
    started, batch, done = time.perf_counter(), [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            model.objects.bulk_create(batch)
            done, batch = done + len(batch), []
            print(f"\r  {model.__name__}: {done:,}/{total:,}", end="", flush=True)
    model.objects.bulk_create(batch)
    print(f"\r  {model.__name__}: {total:,} rows in {time.perf_counter() - started:.0f} s", flush=True)


def _load(rows: int) -> None:
    now = timezone.now()
    print(f"Loading {rows:,} rows per table…")
    partners = Partner.objects.bulk_create(Partner(name=f"bench{i}", display_name=f"Bench {i}") for i in range(20))
    stamps = (
        BankHash._meta.get_field("created_at"),
        Case._meta.get_field("created_at"),
        MatchReport._meta.get_field("received_at"),
        ReviewItem._meta.get_field("opened_at"),
    )
    with _explicit_timestamps(*stamps):
        _bulk(BankHash, _bank_hashes(rows, now), rows)
        first_hash = BankHash.objects.order_by("pk").values_list("pk", flat=True)[0]
        _bulk(
            Case,
            (Case(number=f"B{i}", reference=f"R{i}", pin_hash="x", created_at=_when(now)) for i in range(rows)),
            rows,
        )
        _bulk(MatchReport, _reports(rows, now, partners, first_hash), rows)
        _bulk(ReviewItem, _items(rows, now, first_hash), rows)
    _bulk(AuditEvent, _audit_events(rows, now), rows)
    PartnerUsage.objects.bulk_create(
        PartnerUsage(partner=p, day=(now - timedelta(days=d)).date(), kind="fetch", calls=1440, records=5000)
        for p in partners
        for d in range(365)
    )


def _bank_hashes(rows: int, now: datetime) -> Iterator[BankHash]:
    for i in range(rows):
        created = _when(now)
        withdrawn = rng.random() < 0.03
        modified = created + (now - created) * rng.random() if withdrawn else created
        yield BankHash(
            signal_type="ImagePDQ",
            value=f"{i:064x}",
            quality=90,
            created_at=created,
            modified_at=modified,
            status="Withdrawn" if withdrawn else "Active",
        )


def _reports(rows: int, now: datetime, partners: list[Partner], first_hash: int) -> Iterator[MatchReport]:
    weights = [1 / (i + 1) for i in range(len(partners))]  # a few big partners, a long tail
    for i in range(rows):
        outcome = rng.choices(["pending", "confirmed", "dismissed"], [5, 60, 35])[0]
        processed = rng.random() < 0.5
        yield MatchReport(
            partner=rng.choices(partners, weights)[0],
            bank_hash_id=first_hash + i,
            signal_type="ImagePDQ",
            hash_value=f"{i:064x}",
            distance=rng.randint(0, 31),
            received_at=_when(now),
            outcome=outcome,
            status="processed" if processed else "received",
            content_pdq=f"{i:064x}" if processed else "",
            hash_mismatch=processed and rng.random() < 0.02,
        )


def _items(rows: int, now: datetime, first_hash: int) -> Iterator[ReviewItem]:
    for i in range(rows):
        opened = _when(now)
        state = rng.choices(["pending", "escalated", "confirmed", "dismissed"], [4, 1, 60, 35])[0]
        decided = opened + timedelta(hours=rng.expovariate(1 / 12)) if state in ("confirmed", "dismissed") else None
        yield ReviewItem(
            bank_hash_id=first_hash + i,
            state=state,
            opened_at=opened,
            decided_at=min(decided, now) if decided else None,
        )


def _audit_events(rows: int, now: datetime) -> Iterator[AuditEvent]:
    """Events in time order; one in ten an image reveal by one of MODERATORS moderators."""
    moments = sorted(_when(now) for _ in range(rows))
    for seq, moment in enumerate(moments, start=1):
        reveal = rng.random() < 0.1
        yield AuditEvent(
            seq=seq,
            created_at=moment,
            actor_type="user",
            actor_label=f"mod{rng.randrange(MODERATORS)}",
            action="image.revealed" if reveal else rng.choice(["item.confirm", "item.dismiss", "hash.feedback"]),
            object_type="matching.matchreport",
            object_id=str(seq),
            prev_digest=f"{seq - 1:064x}",
            digest=f"{seq:064x}",
        )


# --- timing -----------------------------------------------------------------------------------


def _timed(name: str, run: Callable[[], Any], runs: int, explain: bool) -> float:
    with CaptureQueriesContext(connection) as captured:
        run()  # warm-up; also captures the SQL
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        durations.append((time.perf_counter() - started) * 1000)
    median = statistics.median(durations)
    print(f"  {name:<24} {len(captured):>3} queries   median {median:8.1f} ms   worst {max(durations):8.1f} ms")
    if explain:
        _explain(captured.captured_queries)
    return median


def _explain(queries: list[dict[str, str]]) -> None:
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("      " + "\n      ".join(row[0] for row in cursor.fetchall()), end="\n\n")


def _report(runs: int, explain: bool) -> None:
    counts = {m.__name__: m.objects.count() for m in (BankHash, Case, MatchReport, ReviewItem, AuditEvent)}
    print("Rows: " + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
    now = timezone.now()
    print(f"Metrics figures (uncached), {runs} runs each:")
    total = sum(_timed(name, lambda f=compute: f(now), runs, explain) for name, compute in FIGURES.items())
    _timed("all figures together", lambda: metrics_compute(now), runs, explain=False)
    print(f"  (sum of the figures' medians: {total:.0f} ms; the page computes them at most once a minute)")
    busiest = Partner.objects.get(name="bench0")
    print(f"Partner pages ({busiest.reports.count():,} reports from the busiest partner):")
    _timed("partner usage (busiest)", lambda: partner_usage_get(partner=busiest), runs, explain)
    _timed("partner list", lambda: list(partner_list_admin()), runs, explain)


def _rollup_report(runs: int, explain: bool) -> None:
    started = time.perf_counter()
    written = metrics_rollup_build()
    print(f"Daily rollup built by beat's task: {written:,} rows in {time.perf_counter() - started:.1f} s")
    now = timezone.now()
    print(f"Metrics figures (uncached) from the rollup, {runs} runs each:")
    total = sum(_timed(name, lambda f=compute: f(now), runs, explain) for name, compute in _rollup_items())
    _timed("all figures together", lambda: metrics_compute(now), runs, explain=False)
    print(f"  (sum of the figures' medians: {total:.0f} ms)")


def _rollup_items() -> list[tuple[str, Any]]:
    from hub.rollup_figures import rollup_figures

    figures = rollup_figures()
    assert figures is not None
    return list(figures.items())


if __name__ == "__main__":
    main()
