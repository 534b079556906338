from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from matching.degenerate import pdq_degenerate_reason
from matching.models import BankHash
from matching.signal_types import SignalType


class Command(BaseCommand):
    help = (
        "List bank PDQ hashes that today's rules refuse (bits far from half set, or near a trivial "
        "picture), for review. Changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--active-only", action="store_true", help="only hashes partners still fetch as active")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = BankHash.objects.filter(signal_type=SignalType.PDQ).order_by("pk")
        if options["active_only"]:
            rows = rows.filter(status=BankHash.Status.ACTIVE)
        found = 0
        fields = ("pk", "value", "status", "source", "source_name")
        for pk, value, status, source, source_name in rows.values_list(*fields).iterator(chunk_size=5000):
            reason = pdq_degenerate_reason(value)
            if reason:
                found += 1
                self.stdout.write(f"{pk}\t{value}\t{status}\t{source}:{source_name}\t{reason}")
        self.stdout.write(f"{found} bank hashes fail the rules (nothing was changed)")
