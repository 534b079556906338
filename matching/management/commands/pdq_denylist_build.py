from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from matching.trivial_images import denylist_build

HEADER = (
    "# PDQ hashes of trivial pictures (solid colours, gradients, checkerboards, stripes, blank pages)\n"
    "# at common sizes, written by `manage.py pdq_denylist_build` from matching/trivial_images.py.\n"
    "# Bank hashes within the match distance of any of these are refused. Do not edit by hand.\n"
)


class Command(BaseCommand):
    help = "Hash trivial pictures and write the PDQ deny-list (NCII_PDQ_DENYLIST_PATH unless --output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["output"] or Path(settings.NCII_PDQ_DENYLIST_PATH)
        rows = denylist_build()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(HEADER + "".join(f"{value} {label}\n" for value, label in rows), encoding="utf-8")
        tmp.replace(path)
        self.stdout.write(f"{len(rows)} distinct hashes written to {path}")
