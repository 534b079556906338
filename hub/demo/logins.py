"""What `seed_demo` prints: the logins as a table (login, role, what to try), what the printed
partner key is for with the curl line to use it, and a case to look up on the public pages."""

import json
from collections.abc import Sequence

from django.db.models import Count

from cases.models import Case
from hub.demo.cast import DEMO_PASSWORD, STAFF
from matching.models import MatchReport
from partners.models import Partner
from partners.services import IssuedKeys

BASE = "http://127.0.0.1:8000"
HEADINGS = ("login", "role", "what to try")


def table(headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
    lines = [headings, tuple("-" * w for w in widths), *rows]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]


def showcase_case() -> Case | None:
    """The helpline case with the most caseworker notes (the demo's showcase)."""
    cases = Case.objects.filter(source=Case.Source.HELPLINE, status=Case.Status.ACTIVE)
    return cases.annotate(n=Count("notes")).order_by("-n", "pk").first()


def logins_lines() -> list[str]:
    case = showcase_case()
    rows = []
    for member in STAFF:
        role = member.role + (f" ({member.partner} only)" if member.partner else "")
        rows.append((member.login, role, member.try_this.format(case=case.number if case else "")))
    return [
        f"Demo logins at {BASE}/accounts/login/ (password for all: {DEMO_PASSWORD}):",
        *table(HEADINGS, rows),
        "The first sign-in of each login sets up two-factor sign-in: scan the QR code with an authenticator app",
        "(or type the secret shown under it), enter its code, and keep the recovery codes.",
    ]


def partner_key_lines(keys: IssuedKeys) -> list[str]:
    """PhotoShare's hub API key and the curl lines a partner uses it for."""
    partner = Partner.objects.get(name="photoshare")
    decided = MatchReport.objects.filter(partner=partner).exclude(decision_note="").order_by("-decided_at")
    report = decided.first() or MatchReport.objects.filter(partner=partner).order_by("-pk").first()
    if report is None:
        return []
    auth = f'-H "Authorization: Bearer {keys.api_key}"'
    lookup = json.dumps({"signalType": report.signal_type, "hashes": [report.hash_value]})
    return [
        "PhotoShare's hub API key (shown only now: the hub keeps only its digest). A partner platform uses it",
        "to report matches and to read a report's outcome and the moderator's shared note:",
        f"  curl -s {BASE}/api/v1/matches/{report.pk} {auth}",
        "and to look hashes up in the bank:",
        f"  curl -s {BASE}/api/v1/lookup {auth} -H 'Content-Type: application/json' -d '{lookup}'",
    ]


def public_case_lines(number: str, pin: str) -> list[str]:
    return [
        f"A victim's view: {BASE}/cases/check/ with case number {number} and PIN {pin}",
        f"(or withdraw it at {BASE}/cases/withdraw/). The home page, {BASE}/, lists what the service does.",
    ]
