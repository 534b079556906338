"""The decision export (senior moderators and admins): the standing decision of every item the
filters keep, as CSV rows streamed from a server-side iterator, a chunk of items at a time, so
a year of decisions never sits in memory. No image, no internal note, no case number; a cell a
spreadsheet would run as a formula is defused with a leading apostrophe."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from audit.services import Actor, audit_record
from moderation.audit_events import DECISION_EXPORT, DECISIONS_EXPORTED
from moderation.models import NoteVisibility, ReviewItem, ReviewItemReport
from moderation.queue_selectors import item_partner_names
from moderation.scope import StaffScope
from moderation.selectors import item_decisions_visible_to

HEADER = [
    "item",
    "decided_at",
    "state",
    "reason_code",
    "moderator",
    "partners",
    "reports",
    "signal_type",
    "shared_note",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class ExportFilters:
    since: date | None = None
    until: date | None = None  # inclusive
    partner_id: int | None = None
    state: str = ""
    reason_code: str = ""
    moderator: str = ""  # a username


def decisions_for_export(*, scope: StaffScope, filters: ExportFilters) -> QuerySet[ReviewItem]:
    items = item_decisions_visible_to(scope).filter(decided_at__isnull=False)
    if filters.since:
        items = items.filter(decided_at__gte=_day_start(filters.since))
    if filters.until:
        items = items.filter(decided_at__lt=_day_start(filters.until) + timedelta(days=1))
    if filters.partner_id:
        items = items.filter(
            Exists(ReviewItemReport.objects.filter(item=OuterRef("pk"), report__partner_id=filters.partner_id))
        )
    if filters.state:
        items = items.filter(state=filters.state)
    if filters.reason_code:
        items = items.filter(decision_code=filters.reason_code)
    if filters.moderator:
        items = items.filter(decided_by__username=filters.moderator)
    return items.order_by("decided_at", "pk")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@transaction.atomic
def decisions_export_record(*, user: User, filters: ExportFilters) -> None:
    """The export is itself an audit event, with its filters."""
    after = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(filters).items() if v}
    audit_record(
        actor=Actor.user(user), action=DECISIONS_EXPORTED, object_type=DECISION_EXPORT, object_id="", after=after
    )


FIELDS = ("pk", "decided_at", "state", "decision_code", "decided_by__username", "report_count")
MORE = ("bank_hash__signal_type", "decision_note", "note_visibility")


def decision_rows(*, scope: StaffScope, filters: ExportFilters) -> Iterator[list[str]]:
    """The header, then one row per decision; partner names looked up once per chunk."""
    yield HEADER
    chunk_size = settings.NCII_EXPORT_CHUNK
    rows = decisions_for_export(scope=scope, filters=filters).values_list(*FIELDS, *MORE).iterator(chunk_size)
    while chunk := list(islice(rows, chunk_size)):
        names = item_partner_names(scope=scope, item_ids=[row[0] for row in chunk])
        for pk, decided_at, state, code, moderator, reports, signal_type, note, visibility in chunk:
            shared = note if visibility == NoteVisibility.PARTNER else ""
            values = [pk, decided_at.isoformat(), state, code, moderator or "", "; ".join(names.get(pk, []))]
            yield [csv_cell(v) for v in [*values, reports, signal_type, shared]]
