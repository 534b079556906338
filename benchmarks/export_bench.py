"""Time the decision export and measure the memory it holds, on PostgreSQL. Not part of the
test suite.

    createdb -h 127.0.0.1 -U postgres ncii_export_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ncii_export_bench \\
        python benchmarks/export_bench.py [--rows 200000]
    dropdb -h 127.0.0.1 -U postgres ncii_export_bench

It refuses a database whose name does not contain "bench", fills an empty one as
metrics_bench does (``--rows`` bank hashes, reports and review items, about 95% decided) and
ties each item to its report, then streams the whole export (as the view does, through the
csv writer) and a tenth of it, printing rows per second (untraced) and the peak Python memory
of each (a second pass under tracemalloc): a streamed export's peak should not grow with its length."""

import argparse
import csv
import os
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from benchmarks import metrics_bench as mb  # noqa: E402
from moderation.export import ExportFilters, decision_rows, decisions_for_export  # noqa: E402
from moderation.models import ReviewItem, ReviewItemReport  # noqa: E402
from moderation.scope import StaffScope  # noqa: E402


class _Sink:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, value: str) -> None:
        self.bytes += len(value)


def _memberships() -> None:
    if ReviewItemReport.objects.exists():
        return
    items = ReviewItem.objects.order_by("pk").values_list("pk", flat=True)
    reports = mb.MatchReport.objects.order_by("pk").values_list("pk", flat=True)
    rows = (ReviewItemReport(item_id=i, report_id=r) for i, r in zip(items.iterator(), reports.iterator(), strict=True))
    mb._bulk(ReviewItemReport, rows, ReviewItem.objects.count())


def _stream(scope: StaffScope, filters: ExportFilters) -> tuple[int, int, float]:
    sink = _Sink()
    writer = csv.writer(sink)
    started, count = time.perf_counter(), -1  # the header is no decision
    for row in decision_rows(scope=scope, filters=filters):
        writer.writerow(row)
        count += 1
    return count, sink.bytes, time.perf_counter() - started


def _run(scope: StaffScope, filters: ExportFilters, label: str) -> None:
    """Timed untraced; then again under tracemalloc (which slows it) for the peak."""
    count, size, seconds = _stream(scope, filters)
    tracemalloc.start()
    _stream(scope, filters)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  {label}: {count:,} rows, {size / 1e6:.1f} MB of CSV in {seconds:.1f} s "
        f"({count / seconds:,.0f} rows/s), peak Python memory {peak / 1e6:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    mb._check_database()
    call_command("migrate", verbosity=0)
    if not ReviewItem.objects.exists():
        mb._load(args.rows)
    _memberships()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    scope = StaffScope(user=User(pk=0, username="bench"), partner_id=None)
    everything = ExportFilters()
    decided = decisions_for_export(scope=scope, filters=everything)
    days = decided.dates("decided_at", "day")
    tenth = ExportFilters(since=days[int(len(days) * 0.9)] if days else date.today())
    _run(scope, tenth, "the last tenth of the days")
    _run(scope, everything, "everything")


if __name__ == "__main__":
    main()
