import time
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from matching.images import HASH_VERSION
from matching.models import MatchReport
from matching.tasks import reports_rehash_task
from matching.upkeep import reports_needing_rehash


class Command(BaseCommand):
    help = (
        "Re-run hashing of stored review derivatives (after a hashing upgrade), in batches, on the "
        "Celery workers, and follow their progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument("--all", action="store_true", help="also reports already at the current version")
        parser.add_argument("--no-wait", action="store_true", help="queue the batches and return")
        parser.add_argument("--timeout", type=float, default=3600)

    def handle(self, *args: Any, **options: Any) -> None:
        ids = reports_needing_rehash(everything=options["all"])
        if options["all"]:  # mark them due, so progress can be followed
            MatchReport.objects.filter(pk__in=ids).update(hash_version=0)
        size = max(1, options["batch_size"])
        for start in range(0, len(ids), size):
            reports_rehash_task.delay(ids[start : start + size])
        self.stdout.write(f"queued {len(ids)} reports in batches of {options['batch_size']}")
        if ids and not options["no_wait"]:
            self._follow(ids, options["timeout"])

    def _follow(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with tqdm(total=len(ids), unit="report", file=cast(TextIO, self.stderr._out)) as bar:
            while bar.n < len(ids) and time.monotonic() < deadline:
                done = MatchReport.objects.filter(pk__in=ids, hash_version=HASH_VERSION).count()
                bar.update(done - bar.n)
                if done < len(ids):
                    time.sleep(0.5)
        self.stdout.write(f"rehashed: {bar.n} of {len(ids)}")
