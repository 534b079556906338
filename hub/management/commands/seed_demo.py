import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from audit.services import Actor
from cases.services import HashInput, case_create
from matching.intake import report_ingest
from moderation.models import StaffProfile
from moderation.services import review_claim_next, review_decide
from moderation.triage import report_triage
from ncii_site.roles import Role, user_role_assign
from partners.models import Partner
from partners.services import IssuedKeys, partner_create

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - demo data only, refused outside local databases
STAFF = [
    ("admin", Role.ADMIN, None),
    ("moderator", Role.MODERATOR, None),
    ("senior", Role.SENIOR_MODERATOR, None),
    ("caseworker", Role.CASEWORKER, None),
    ("childsafety", Role.CHILD_SAFETY, None),
    ("photoshare_mod", Role.MODERATOR, "photoshare"),
]
DEMO_REASONS = {"confirm": "matches_bank", "dismiss": "different_image", "escalate": "needs_senior"}
PARTNERS = [("photoshare", "PhotoShare"), ("cliphub", "ClipHub"), ("chatspace", "ChatSpace")]


def _near(hex_value: str, bits: int) -> str:
    return format(int(hex_value, 16) ^ ((1 << bits) - 1), "064x")


class Command(BaseCommand):
    help = "Load demo partners, staff of every role, cases, hashes, reports and items in every state."

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
            self.stdout.write("Demo data already loaded.")
        else:
            keys = self._seed()
            self.stdout.write(f"Demo partner 'photoshare' API key (shown once): {keys.api_key}")
        self._print_logins()

    def _seed(self) -> IssuedKeys:
        system = Actor.system("seed_demo")
        partners, first_keys = {}, None
        for name, display in PARTNERS:
            partners[name], keys = partner_create(name=name, display_name=display, actor=system)
            first_keys = first_keys or keys
        users = {name: self._user(name, role, partners.get(partner or "")) for name, role, partner in STAFF}
        bank = self._cases()
        self._reports(partners, bank)
        self._decisions(users)
        assert first_keys is not None
        return first_keys

    def _user(self, username: str, role: str, partner: Partner | None) -> Any:
        user = get_user_model().objects.create_user(username, f"{username}@hub.example", DEMO_PASSWORD)
        user_role_assign(user=user, role=role)
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
            user.save()
        if partner:
            StaffProfile.objects.create(user=user, partner=partner)
        return get_user_model().objects.get(pk=user.pk)

    def _cases(self) -> list[str]:
        pdqs = [secrets.token_hex(32) for _ in range(12)]
        for i in range(0, 12, 3):
            hashes = [HashInput("ImagePDQ", h, 80 + i) for h in pdqs[i : i + 3]]
            hashes.append(HashInput("VideoMD5", hashlib.md5(f"demo-video-{i}".encode()).hexdigest(), None))  # noqa: S324
            case_create(hashes=hashes, actor=Actor.public())
        return pdqs

    def _reports(self, partners: dict[str, Partner], bank: list[str]) -> None:
        plan = [
            (0, ["photoshare", "cliphub", "chatspace"]),
            (1, ["photoshare"]),
            (2, ["cliphub"]),
            (3, ["chatspace", "photoshare"]),
            (4, ["cliphub"]),
            (5, ["photoshare"]),
            (6, ["chatspace"]),
            (7, ["cliphub", "photoshare"]),
            (8, ["photoshare"]),
        ]
        for index, names in plan:
            for n, name in enumerate(names):
                report, _ = report_ingest(
                    partner=partners[name],
                    signal_type="ImagePDQ",
                    hash_value=_near(bank[index], n * 3),
                    content_id=f"{name}-content-{index}-{n}",
                )
                report_triage(report_id=report.pk)  # already done when tasks run in-process

    def _decisions(self, users: dict[str, Any]) -> None:
        moderator, senior = users["moderator"], users["senior"]
        for decision in ["confirm", "dismiss", "escalate", "escalate", "confirm"]:
            item = review_claim_next(moderator=moderator)
            if item:
                review_decide(
                    moderator=moderator,
                    item_id=item.pk,
                    decision=decision,
                    reason_code=DEMO_REASONS[decision],
                    note=f"demo: {decision}",
                )
        item = review_claim_next(moderator=senior, state="escalated")
        if item:
            review_decide(
                moderator=senior,
                item_id=item.pk,
                decision="dismiss",
                reason_code="different_image",
                note="demo: senior review",
                note_visibility="partner",
            )

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, partner in STAFF:
            scope = f", sees only {partner}'s items" if partner else ""
            self.stdout.write(f"  {username:<15} {role}{scope}")
        self.stdout.write(f"Dashboard: http://127.0.0.1:8000/dashboard/  ({settings.NCII_HUB_NAME})")
        self.stdout.write("The first sign-in of each login sets up two-factor sign-in with an authenticator app.")
