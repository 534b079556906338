import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from cases.models import Case
from hub.demo.history import history_seed
from hub.demo.logins import logins_lines, partner_key_lines, public_case_lines
from matching.models import MatchReport
from moderation.models import ReviewItem
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Load a year of demo history: partners and their keys, staff of every role, cases, reports, "
        "decisions, escalations, disputes and review images, all made through the hub's services."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-nonlocal", action="store_true", help="allow seeding a database that is not local SQLite"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "sqlite" and not options["allow_nonlocal"]:
            raise CommandError(
                "seed_demo creates accounts with a known password; pass --allow-nonlocal to seed this database."
            )
        if Partner.objects.filter(name="photoshare").exists():
            self._say(["Demo data already loaded (partner keys are shown only when it is first loaded).", ""])
            self._say(logins_lines())
            return
        started, cpu = time.perf_counter(), time.process_time()
        seeded = history_seed()
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        self._say([self._summary(took, cpu), "", *logins_lines(), "", *partner_key_lines(seeded.cast.keys), ""])
        if seeded.bank.public:
            case, pin = seeded.bank.public[0]
            self._say(public_case_lines(case.number, pin))

    def _summary(self, took: float, cpu: float) -> str:
        return (
            f"Seeded a year of demo history in {took:.1f} s ({cpu:.1f} s CPU): {Case.objects.count()} cases, "
            f"{MatchReport.objects.count()} match reports, {ReviewItem.objects.count()} review items."
        )

    def _say(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)
