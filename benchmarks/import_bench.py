"""``import_hashes`` benchmark on PostgreSQL: rows per second of wall time and per CPU-second of
the command's own process, for the COPY path (after) and the old ``bulk_create`` path (before).

    createdb -h 127.0.0.1 -U postgres ncii_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ncii_import_bench \\
        python -m benchmarks.import_bench [--rows 1000000] [--before-rows 200000]

It refuses a database whose name does not contain "bench" or whose bank is not empty, writes a
file of random PDQ hashes (with 2% repeated, 1% MD5 and 0.5% malformed lines, as real dumps
have), imports it into the empty bank, then imports it again (every row now a duplicate), and
deletes its rows at the end. The "before" run forces the previous path (existing-value lookup
and ``bulk_create``) on a smaller file and an empty bank."""

import argparse
import os
import sys
import tempfile
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import numpy as np

from benchmarks.pg_cpu import CpuClock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")


def write_file(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pdq = rng.bytes(32 * rows).hex()
    lines = []
    for i in range(rows):
        draw = rng.random()
        if draw < 0.005:
            lines.append("zz" * 32)
        elif draw < 0.015:
            lines.append(f"VideoMD5,{pdq[64 * i : 64 * i + 32]}")
        elif draw < 0.035 and i:
            lines.append(pdq[64 * (i - 1) : 64 * i])  # the previous line's hash again
        else:
            lines.append(pdq[64 * i : 64 * (i + 1)])
    path.write_text("\n".join(lines) + "\n")


@contextmanager
def old_path():
    """The previous import path: look up existing values, then bulk_create."""
    from matching import services

    real = services.bank_hashes_copy
    services.bank_hashes_copy = lambda **kwargs: services._bank_hashes_insert(**kwargs)
    try:
        yield
    finally:
        services.bank_hashes_copy = real


def timed_import(path: Path, batch_size: int) -> tuple[float, float, float, str]:
    from django.core.management import call_command

    out = StringIO()
    clock = CpuClock().start()
    call_command("import_hashes", str(path), "--no-progress", "--batch-size", str(batch_size), stdout=out)
    return (*clock.stop(), out.getvalue())


def empty_bank() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM matching_bankhash WHERE source = 'import' AND source_name = 'import'")
        # The next run must not insert into a table full of dead rows: on one that was not vacuumed
        # the server's CPU a row went up by a quarter, then by half.
        cursor.execute("VACUUM matching_bankhash")


def line(label: str, rows: int, wall: float, client: float, server: float, summary: str) -> None:
    added = summary.split("\n")[0]
    print(
        f"  {label:<44} {rows:>10,} {wall:>7.1f} {rows / wall:>9,.0f} {client:>8.1f} {server:>8.1f} "
        f"{rows / (client + server):>11,.0f}   {added}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--before-rows", type=int, default=200_000, help="rows for the old path (0: skip)")
    parser.add_argument("--batch-size", type=int, nargs="+", default=[5000, 50_000])
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from matching.models import BankHash

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(f"Refusing {connection.vendor} database {name!r}: use a PostgreSQL database named *bench*.")
    call_command("migrate", verbosity=0, interactive=False)
    if BankHash.objects.exists():
        sys.exit("Refusing: the bank in this database is not empty.")
    folder = Path(tempfile.mkdtemp(prefix="ncii-import-bench-"))
    try:
        big, small = folder / "big.txt", folder / "small.txt"
        write_file(big, args.rows, 1)
        print(f"import_hashes on PostgreSQL database {name!r}, a file of {args.rows:,} lines")
        print(
            f"  {'run':<44} {'lines':>10} {'wall s':>7} {'lines/s':>9} {'py CPU':>8} {'pg CPU':>8} {'lines/CPU-s':>11}"
        )
        if args.before_rows:
            write_file(small, args.before_rows, 2)
            with old_path():
                line("before: bulk_create, batch 5000", args.before_rows, *timed_import(small, 5000))
            empty_bank()
        for size in args.batch_size:
            line(f"after: COPY + merge, batch {size:,}", args.rows, *timed_import(big, size))
            line(f"after: same file again (duplicates), {size:,}", args.rows, *timed_import(big, size))
            empty_bank()
        print("  lines/s = lines read (valid, duplicate or rejected) per second of wall time, ANALYZE included;")
        print("  lines/CPU-s = per CPU-second of the command's process and its PostgreSQL backend together")
        return 0
    finally:
        empty_bank()
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()


if __name__ == "__main__":
    sys.exit(main())
