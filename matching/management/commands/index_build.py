from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.index_builder import index_build


class Command(BaseCommand):
    help = (
        "Build the PDQ index snapshot and publish it under NCII_INDEX_DIR for every process on this host "
        "to map. Run it at deploy (before starting gunicorn) and periodically (Celery beat does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-changed", action="store_true", help="skip when no PDQ hash changed since the last")

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = index_build(if_changed=options["if_changed"])
        if outcome.status == "busy":
            raise CommandError("Another builder holds the lock on this index directory; nothing published.")
        if outcome.status == "unchanged":
            self.stdout.write(f"No PDQ hash changed since {outcome.path.name if outcome.path else '-'}; kept it.")
            return
        assert outcome.path is not None
        self.stdout.write(f"Published {outcome.path.name}: {outcome.size:,} hashes in {outcome.seconds:.1f} s.")
