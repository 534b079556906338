from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.anchoring import audit_checkpoints_verify, verifying_key
from audit.checkpoints import Finding
from audit.selectors import audit_chain_verify

_SHOWN = 20  # findings printed in full; the rest are counted


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chain and name the first broken link; with --checkpoints, "
        "compare it with the signed checkpoints kept outside the database (truncated tail, deleted "
        "range, re-chained history)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--checkpoints", metavar="PATH", help="the checkpoint file (NCII_AUDIT_CHECKPOINT_PATH)")
        parser.add_argument("--public-key", default="", help="base64 Ed25519 public key (default: the hub's)")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_chain_verify()
        problems = []
        if broken:
            problems.append(
                f"Audit chain broken at event #{broken.seq}: {broken.problem} ({checked} events before it are intact)."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
        if options["checkpoints"]:
            problems += self._checkpoints(options["checkpoints"], options["public_key"])
        if problems:
            for problem in problems[1:]:
                self.stderr.write(problem)
            raise CommandError(problems[0] if len(problems) == 1 else f"{problems[0]} (and {len(problems) - 1} more)")

    def _checkpoints(self, path: str, public_key: str) -> list[str]:
        try:
            agree, findings = audit_checkpoints_verify(path=path, key=verifying_key(public_key))
        except (OSError, ValueError) as exc:
            return [f"Checkpoints could not be read: {exc}"]
        if not findings:
            self.stdout.write(self.style.SUCCESS(f"Checkpoints: all {agree} agree with the chain."))
            return []
        return [_summary(agree, findings)] + [f"Checkpoint {f.kind}: {f.message}" for f in findings[:_SHOWN]]


def _summary(agree: int, findings: list[Finding]) -> str:
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(Counter(f.kind for f in findings).items()))
    return f"Checkpoints disagree with the chain: {kinds} ({agree} agree)."
