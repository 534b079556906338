"""Time beat's retention task and the transparency figures on PostgreSQL. Not part of the suite.

    createdb -h 127.0.0.1 -U postgres ncii_retention_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ncii_retention_bench \\
        python benchmarks/retention_bench.py [--rows 20000]
    dropdb -h 127.0.0.1 -U postgres ncii_retention_bench

It refuses a database whose name does not contain "bench", migrates it and fills it (once) with
``--rows`` decided review items whose notes are also their decision events' reasons, as many
reports with a context, idempotency records and usage rows, all two years old. It then times one
bounded run of ``hub.retention_purge`` (the defaults: 10 batches of 500 per kind), the runs until
nothing is due, ``verify_audit`` after, and the transparency figures over the rollup."""

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

import django  # noqa: E402
import time_machine  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.selectors import audit_chain_verify  # noqa: E402
from audit.services import Actor, audit_record  # noqa: E402
from hub.retention import retention_purge  # noqa: E402
from hub.rollups import metrics_rollup_build  # noqa: E402
from hub.transparency import figures_compute  # noqa: E402
from matching.models import BankHash, IdempotencyRecord, MatchReport  # noqa: E402
from moderation.models import ReviewItem  # noqa: E402
from partners.models import Partner, PartnerUsage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    rows = parser.parse_args().rows
    if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Use a PostgreSQL database whose name contains 'bench'.")
    call_command("migrate", verbosity=0)
    if not ReviewItem.objects.exists():
        started = time.perf_counter()
        _load(rows)
        print(f"loaded {rows} rows per kind in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    first = retention_purge()
    print(f"one run: {time.perf_counter() - started:.2f} s wall, {first}")
    runs, started = 1, time.perf_counter()
    while any(retention_purge().values()):
        runs += 1
    print(f"until nothing was due: {runs} more runs, {time.perf_counter() - started:.1f} s wall")
    started = time.perf_counter()
    checked, broken = audit_chain_verify()
    print(f"verify_audit: {checked} events in {time.perf_counter() - started:.1f} s, broken: {broken}")
    started = time.perf_counter()
    metrics_rollup_build()
    built = time.perf_counter() - started
    started = time.perf_counter()
    figures_compute()
    print(f"rollup build {built:.2f} s; transparency figures from it {time.perf_counter() - started:.3f} s")


def _load(rows: int) -> None:
    long_ago = timezone.now() - timedelta(days=730)
    partner = Partner.objects.create(name="bench", display_name="Bench")
    hashes = BankHash.objects.bulk_create(
        BankHash(signal_type="ImagePDQ", value=f"{i:064x}", modified_at=long_ago) for i in range(rows)
    )
    reports = MatchReport.objects.bulk_create(
        MatchReport(
            partner=partner, bank_hash=h, signal_type="ImagePDQ", hash_value=h.value, distance=0,
            context="posted by @someone", outcome="confirmed", decided_at=long_ago,
        )
        for h in hashes
    )  # fmt: skip
    items = ReviewItem.objects.bulk_create(
        ReviewItem(bank_hash=h, state="confirmed", decided_at=long_ago, decision_note=f"note {h.pk}") for h in hashes
    )
    ReviewItem.objects.update(opened_at=long_ago)
    with time_machine.travel(long_ago, tick=True), transaction.atomic():  # as if decided then
        for item in items:
            audit_record(
                actor=Actor.system("bench"), action="item.confirm", object_type="moderation.reviewitem",
                object_id=item.pk, reason=item.decision_note, after={"state": "confirmed"},
            )  # fmt: skip
    IdempotencyRecord.objects.bulk_create(
        IdempotencyRecord(partner=partner, key=f"k{i}", request_digest="d", report=r, created_at=long_ago)
        for i, r in enumerate(reports)
    )
    first = date.today() - timedelta(days=800)
    PartnerUsage.objects.bulk_create(
        PartnerUsage(partner=partner, day=first + timedelta(days=i % 70), kind=("fetch", "feedback", "submit")[i % 3])
        for i in range(min(rows, 210))
    )


if __name__ == "__main__":
    main()
