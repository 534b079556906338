import os
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from tqdm import tqdm

from audit.services import Actor
from matching.import_copy import bank_analyse
from matching.importing import ImportRow, ImportSummary, rows_parse
from matching.services import bank_import_batch


class Command(BaseCommand):
    help = (
        "Bulk-load bank hashes contributed by a source (not a victim's case): one hex value per line, "
        "or CSV rows signalType,hashValue[,quality]. Each batch commits whole or not at all; on PostgreSQL "
        "a batch is COPYed into a staging table and merged in one statement, and the bank is ANALYZEd at the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="import", help="name of the contributing source")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        summary = ImportSummary()
        with path.open(encoding="utf-8", errors="replace", newline="") as handle, self._progress(path, options) as bar:
            rows = rows_parse(_tracked(handle, bar), summary)
            batches = _read_ahead(lambda: list(islice(rows, options["batch_size"])))
            try:
                for batch in batches:
                    self._load(batch, options["source"], summary)
            finally:
                batches.close()  # waits for the batch being read, before the file closes
                if summary.added:
                    bank_analyse()
        self._report(summary)

    def _progress(self, path: Path, options: dict[str, Any]) -> tqdm:
        return tqdm(
            total=os.path.getsize(path),
            unit="B",
            unit_scale=True,
            desc="import",
            file=cast(TextIO, self.stderr._out),  # the stream itself: tqdm rewrites its line
            disable=options["no_progress"],
            mininterval=0.5,
        )

    def _load(self, batch: list[ImportRow], source: str, summary: ImportSummary) -> None:
        actor = Actor.system(f"import_hashes:{source}")
        for attempt in (1, 2):  # a concurrent writer may add one of these hashes first
            try:
                added, duplicates = bank_import_batch(rows=batch, source_name=source, actor=actor)
                break
            except IntegrityError:
                if attempt == 2:
                    raise CommandError(
                        f"Batch starting at line {batch[0].line} could not be written; it was rolled back. "
                        f"Committed so far: {summary.added} added."
                    ) from None
        summary.added += added
        summary.duplicates += duplicates

    def _report(self, summary: ImportSummary) -> None:
        self.stdout.write(f"added: {summary.added}")
        self.stdout.write(f"duplicates: {summary.duplicates}")
        self.stdout.write(f"rejected: {sum(summary.rejected.values())}")
        for reason, count in summary.rejected.most_common():
            self.stdout.write(f"  {count} x {reason} (first at line {summary.examples[reason]})")


def _tracked(handle: TextIO, bar: tqdm) -> Iterator[str]:
    for line in handle:
        bar.update(len(line.encode("utf-8", "replace")))
        yield line


def _read_ahead(take: Callable[[], list[ImportRow]]) -> Generator[list[ImportRow]]:
    """The batches in order, each read and parsed in a thread while the one before is
    written (the database driver releases the GIL while PostgreSQL works)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read") as pool:
        ahead = pool.submit(take)
        while batch := ahead.result():
            ahead = pool.submit(take)
            yield batch
