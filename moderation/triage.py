"""The worker's side of moderation: put each received report into a review item.

Reports fold into one open item when they are about the same content: the same bank hash
and, when both carry a review image, recomputed PDQs within NCII_DEDUP_PDQ_DISTANCE;
without images, the identical claimed hash. Different content that matched the same bank
hash gets an item of its own."""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max

from audit.services import Actor, audit_record
from matching.audit_events import MATCH_REPORT
from matching.hamming import hamming_distance
from matching.intake import report_verify
from matching.models import MatchReport
from matching.review_uploads import Decoded, Keyframes, upload_apply
from matching.services import report_processed
from moderation.audit_events import ITEM, ITEM_OPENED, REPORT_TRIAGED
from moderation.flood import flood_guard, flood_item_open, flood_priority, item_flood_mark
from moderation.models import OPEN_STATES, ReviewItem, ReviewItemReport, ReviewState

_ITEM_CHOICE_LOCK = 0x5452  # advisory-lock namespace: one triage at a time per bank hash

OUTCOME_FOR = {
    ReviewState.PENDING: MatchReport.Outcome.PENDING,
    ReviewState.ESCALATED: MatchReport.Outcome.ESCALATED,
    ReviewState.CONFIRMED: MatchReport.Outcome.CONFIRMED,
    ReviewState.DISMISSED: MatchReport.Outcome.DISMISSED,
}


@transaction.atomic(durable=True)
def report_triage(*, report_id: int, decoded: Keyframes | Decoded | None = None) -> ReviewItem | None:
    """Record the decoded review image (``upload_decode``, run before this transaction), verify
    a received report's claim and put it into the open item for its content, opening one if
    there is none. Running it again for the same report changes nothing."""
    report = MatchReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.status != MatchReport.Status.RECEIVED:
        return None
    upload_apply(report, decoded)
    report_verify(report)
    item_choice_lock(bank_hash_id=report.bank_hash_id)
    flooded = flood_guard(bank_hash_id=report.bank_hash_id)  # before any audit event: see flood_guard
    item = (
        flood_item_open(bank_hash_id=report.bank_hash_id)
        or item_open_matching(bank_hash_id=report.bank_hash_id, key=content_key(report))
        or _item_open(report)
    )
    ReviewItemReport.objects.create(item=item, report=report)
    if flooded and not item.flood:
        item_flood_mark(item)  # opened just now, about a quarantined hash
    _item_recount(item, mismatch=report.hash_mismatch)
    report_processed(report, outcome=OUTCOME_FOR[ReviewState(item.state)])
    audit_record(
        actor=Actor.system("worker"),
        action=REPORT_TRIAGED,
        object_type=MATCH_REPORT,
        object_id=report.pk,
        after={
            "item": item.pk,
            "partners": item.partner_count,
            "hash_mismatch": report.hash_mismatch,
            "low_quality": report.low_quality,
        },
    )
    return item


def content_key(report: MatchReport) -> tuple[str, bool]:
    """(content hash, whether it was recomputed from a review image)."""
    return (report.content_pdq, True) if report.content_pdq else (report.hash_value, False)


def same_content(item: ReviewItem, key: tuple[str, bool]) -> bool:
    value, from_image = key
    if item.content_from_image != from_image:
        return False
    if from_image:
        return hamming_distance(item.content_hash, value) <= settings.NCII_DEDUP_PDQ_DISTANCE
    return item.content_hash == value


def item_open_matching(*, bank_hash_id: int, key: tuple[str, bool], exclude: int | None = None) -> ReviewItem | None:
    """The oldest open item about this content, if any."""
    items = ReviewItem.objects.filter(bank_hash_id=bank_hash_id, state__in=OPEN_STATES)
    if exclude is not None:
        items = items.exclude(pk=exclude)
    return next((item for item in items.order_by("opened_at", "pk") if same_content(item, key)), None)


def item_choice_lock(*, bank_hash_id: int) -> None:
    """Serialise the choice of open item per bank hash, so triage and a reopen never make twin
    open items. An advisory lock (not the bank hash row, which decisions lock) keeps lock
    order acyclic: whoever holds it touches no decided item's row afterwards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_ITEM_CHOICE_LOCK, bank_hash_id])
    # SQLite: transactions start IMMEDIATE (settings), so writers are already serialised.


def _item_open(report: MatchReport) -> ReviewItem:
    value, from_image = content_key(report)
    item = ReviewItem.objects.create(
        bank_hash_id=report.bank_hash_id, content_hash=value, content_from_image=from_image
    )
    audit_record(
        actor=Actor.system("worker"),
        action=ITEM_OPENED,
        object_type=ITEM,
        object_id=item.pk,
        after={"state": item.state, "bank_hash": report.bank_hash_id, "content_from_image": from_image},
    )
    return item


def _item_recount(item: ReviewItem, *, mismatch: bool) -> None:
    stats = MatchReport.objects.filter(membership__item=item).aggregate(
        partners=Count("partner", distinct=True), reports=Count("pk"), last=Max("received_at")
    )
    item.partner_count, item.report_count = stats["partners"], stats["reports"]
    item.last_reported_at = stats["last"]
    item.priority = flood_priority(item)
    item.has_hash_mismatch = item.has_hash_mismatch or mismatch
    item.save(update_fields=["partner_count", "report_count", "priority", "last_reported_at", "has_hash_mismatch"])
