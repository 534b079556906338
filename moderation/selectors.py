from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_list_for
from matching.audit_events import MATCH_REPORT
from matching.models import HashFeedback, MatchReport, ReviewImage
from moderation.audit_events import ITEM
from moderation.models import (
    ALLOWED_TRANSITIONS,
    ReviewItem,
    ReviewItemReport,
    ReviewState,
    StaffProfile,
)
from moderation.qa_blind import qa_blind_item_ids
from moderation.scope import StaffScope
from ncii_site.roles import REOPEN, REVIEW, REVIEW_ESCALATED, REVIEW_MINOR
from partners.models import Partner

QUEUE_ORDER = ("-priority", "opened_at", "pk")  # what "review next" takes first
SORTS = {
    "priority": QUEUE_ORDER,
    "oldest": ("opened_at", "pk"),
    "newest": ("-opened_at", "-pk"),
    "partners": ("-partner_count", "opened_at", "pk"),
    "deadline": ("opened_at", "pk"),  # every item has the same time to its deadline
}
AGE_FILTERS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def item_visible_to(scope: StaffScope) -> QuerySet[ReviewItem]:
    items = ReviewItem.objects.all()
    if not scope.minors:  # possible minors: the child-safety team only
        items = items.filter(possible_minor=False)
    if not scope.ordinary:
        items = items.filter(possible_minor=True)
    if scope.partner_id is not None:
        own = ReviewItemReport.objects.filter(item=OuterRef("pk"), report__partner_id=scope.partner_id)
        items = items.filter(Exists(own))
    return items


def item_decisions_visible_to(scope: StaffScope) -> QuerySet[ReviewItem]:
    """The items this user may see and whose standing decision they may read: not those whose
    blind second review they give (moderation/qa_blind.py), until they have recorded it."""
    return item_visible_to(scope).exclude(pk__in=qa_blind_item_ids(scope.user))


def item_get_visible(*, scope: StaffScope, item_id: int) -> ReviewItem | None:
    items = item_visible_to(scope).select_related("bank_hash", "claimed_by", "decided_by")
    return items.filter(pk=item_id).first()


@dataclass(frozen=True)
class QueueFilters:
    state: str = ReviewState.PENDING
    partner_id: int | None = None
    age: str = ""
    min_partners: int | None = None
    mismatch: str = ""  # "yes": only items with a hash mismatch, "no": only without
    sort: str = "priority"


def item_list(*, scope: StaffScope, filters: QueueFilters) -> QuerySet[ReviewItem]:
    items = item_decisions_visible_to(scope).select_related("bank_hash", "claimed_by")
    if filters.state:
        items = items.filter(state=filters.state)
    if filters.partner_id:
        reported = ReviewItemReport.objects.filter(item=OuterRef("pk"), report__partner_id=filters.partner_id)
        items = items.filter(Exists(reported))
    if filters.min_partners:
        items = items.filter(partner_count__gte=filters.min_partners)
    if filters.mismatch in ("yes", "no"):
        items = items.filter(has_hash_mismatch=filters.mismatch == "yes")
    return _by_age(items, filters.age).order_by(*SORTS.get(filters.sort, QUEUE_ORDER))


def _by_age(items: QuerySet[ReviewItem], age: str) -> QuerySet[ReviewItem]:
    if age == "older":
        return items.filter(opened_at__lt=timezone.now() - AGE_FILTERS["7d"])
    if age in AGE_FILTERS:
        return items.filter(opened_at__gte=timezone.now() - AGE_FILTERS[age])
    return items


@dataclass(frozen=True)
class QueueHealth:
    oldest_opened_at: datetime | None
    breaches: int  # items waiting longer than the target
    target: timedelta

    @property
    def target_label(self) -> str:
        seconds = int(self.target.total_seconds())
        return f"{seconds // 3600} h" if seconds % 3600 == 0 else f"{max(1, seconds // 60)} min"


def queue_health(*, scope: StaffScope, state: str) -> QueueHealth:
    """How long the oldest item of a queue has waited, and how many wait past the target."""
    target = timedelta(seconds=settings.NCII_SLA_TARGET_SECONDS)
    cutoff = timezone.now() - target
    stats = (
        item_visible_to(scope)
        .filter(state=state)
        .aggregate(oldest=Min("opened_at"), breaches=Count("pk", filter=Q(opened_at__lt=cutoff)))
    )
    return QueueHealth(oldest_opened_at=stats["oldest"], breaches=stats["breaches"], target=target)


def item_neighbours(*, scope: StaffScope, item: ReviewItem) -> tuple[int | None, int | None]:
    """The items before and after this one in its state's queue order (for j/k)."""
    same = item_decisions_visible_to(scope).filter(state=item.state)
    p, o, pk = item.priority, item.opened_at, item.pk
    later = Q(priority__lt=p) | Q(priority=p, opened_at__gt=o) | Q(priority=p, opened_at=o, pk__gt=pk)
    earlier = Q(priority__gt=p) | Q(priority=p, opened_at__lt=o) | Q(priority=p, opened_at=o, pk__lt=pk)
    after = same.filter(later).order_by(*QUEUE_ORDER).values_list("pk", flat=True).first()
    before = same.filter(earlier).order_by("priority", "-opened_at", "-pk").values_list("pk", flat=True).first()
    return before, after


def item_state_counts(*, scope: StaffScope) -> dict[str, int]:
    counts = item_visible_to(scope).aggregate(
        **{state: Count("pk", filter=Q(state=state)) for state in ReviewState.values}
    )
    return {state: counts[state] for state in ReviewState.values}


def item_reports(*, scope: StaffScope, item: ReviewItem) -> list[MatchReport]:
    """The item's reports. A partner-scoped moderator sees only their own partner's: other
    partners' content ids and report history are not theirs to see."""
    reports = MatchReport.objects.filter(membership__item=item)
    partner_id = scope.partner_id
    if partner_id is not None:
        reports = reports.filter(partner_id=partner_id)
    has_image = Exists(ReviewImage.objects.filter(report=OuterRef("pk")))
    # The strip's metadata, never the ciphertext; a keyframe far from every claimed frame by the
    # matcher's own threshold (matching.intake.report_verify), None when it was not checked.
    far = ExpressionWrapper(Q(claim_distance__gt=settings.NCII_PDQ_MATCH_DISTANCE), output_field=BooleanField())
    keyframes = ReviewImage.objects.only("pk", "report_id", "position", "claim_distance").annotate(hash_mismatch=far)
    images = Prefetch("review_images", keyframes.order_by("position"), to_attr="keyframes")
    reports = reports.select_related("partner").annotate(has_image=has_image).prefetch_related(images)
    return list(reports.order_by("received_at", "pk"))


def report_image_visible(*, scope: StaffScope, item_id: int, report_id: int, position: int = 0) -> ReviewImage | None:
    """A report's stored derivative (a video report's keyframe by position), if this user may
    see the item and that report."""
    item = item_get_visible(scope=scope, item_id=item_id)
    if item is None or not any(r.pk == report_id for r in item_reports(scope=scope, item=item)):
        return None
    return ReviewImage.objects.filter(report_id=report_id, position=position).first()


def reports_failed(*, scope: StaffScope) -> QuerySet[MatchReport]:
    """Reports the worker gave up on, that this user's scope covers."""
    reports = MatchReport.objects.filter(status=MatchReport.Status.FAILED)
    partner_id = scope.partner_id
    if partner_id is not None:
        reports = reports.filter(partner_id=partner_id)
    return reports.select_related("partner", "bank_hash").order_by("received_at", "pk")


def item_prior_feedback(*, scope: StaffScope, item: ReviewItem, reporting_partner_ids: set[int]) -> list[HashFeedback]:
    """What other partners (and the hub) have said about this bank hash. Not the hub's word while
    this user gives the blind second review of an item on the hash: it is that item's decision."""
    feedback = HashFeedback.objects.filter(bank_hash_id=item.bank_hash_id).exclude(partner_id__in=reporting_partner_ids)
    if ReviewItem.objects.filter(bank_hash_id=item.bank_hash_id, pk__in=qa_blind_item_ids(scope.user)).exists():
        feedback = feedback.exclude(partner=None)
    return list(feedback.select_related("partner").order_by("-updated_at"))


@dataclass(frozen=True)
class ReportSummary:
    """What an item's reports say without looking at the image."""

    best_distance: int | None
    best_quality: int | None  # recomputed PDQ quality of the sent images
    mismatches: int  # reports whose claimed hash does not fit their own image
    checked: int  # reports whose claim could be checked (they sent an image)


def reports_summary(reports: list[MatchReport]) -> ReportSummary:
    qualities = [r.content_quality for r in reports if r.content_quality is not None]
    return ReportSummary(
        best_distance=min((r.distance for r in reports), default=None),
        best_quality=max(qualities, default=None),
        mismatches=sum(1 for r in reports if r.hash_mismatch),
        checked=sum(1 for r in reports if r.claim_distance is not None),
    )


def hash_confirmations(*, bank_hash_id: int) -> int:
    """How many partners have confirmed (Blocked) this bank hash."""
    blocked = HashFeedback.objects.filter(bank_hash_id=bank_hash_id, value=HashFeedback.Value.BLOCKED)
    return blocked.exclude(partner=None).count()


def item_prior_decisions(*, scope: StaffScope, item: ReviewItem, limit: int = 10) -> list[ReviewItem]:
    """Decisions on the other items about the same bank hash that this user may see, newest first."""
    others = item_decisions_visible_to(scope).filter(bank_hash_id=item.bank_hash_id).exclude(pk=item.pk)
    decided = others.exclude(decided_by=None).select_related("decided_by")
    return list(decided.order_by("-decided_at", "-pk")[:limit])


def items_for_bulk(*, scope: StaffScope, ids: list[int]) -> list[ReviewItem]:
    """The chosen items this user may see, in queue order, each with what its reports (the
    user's partner's only, for a partner moderator) and its hash's history say, and the
    first report with an image for a blurred preview. A fixed number of queries."""
    reports = MatchReport.objects.filter(membership__item=OuterRef("pk"))
    partner_id = scope.partner_id
    if partner_id is not None:
        reports = reports.filter(partner_id=partner_id)
    others = item_decisions_visible_to(scope).filter(bank_hash=OuterRef("bank_hash")).exclude(pk=OuterRef("pk"))
    blocked = HashFeedback.objects.filter(bank_hash=OuterRef("bank_hash"), value=HashFeedback.Value.BLOCKED)
    with_image = reports.filter(review_images__position=0).order_by("received_at", "pk").values("pk")[:1]
    return list(
        item_decisions_visible_to(scope)
        .filter(pk__in=ids)
        .select_related("bank_hash")
        .annotate(
            best_distance=_one(reports, Min("distance")),
            best_quality=_one(reports, Max("content_quality")),
            mismatches=_one(reports, Count("pk", filter=Q(hash_mismatch=True))),
            image_report_id=Subquery(with_image),
            confirmations=_one(blocked.exclude(partner=None), Count("pk")),
            prior_confirmed=_one(others.filter(state=ReviewState.CONFIRMED), Count("pk")),
            prior_dismissed=_one(others.filter(state=ReviewState.DISMISSED), Count("pk")),
        )
        .order_by(*QUEUE_ORDER)
    )


def _one(rows: QuerySet[Any], aggregate: Aggregate) -> Subquery:
    """``aggregate`` over ``rows`` (a correlated queryset) as a subquery giving one value."""
    return Subquery(rows.order_by().annotate(group=Value(1)).values("group").annotate(v=aggregate).values("v")[:1])


def item_audit_trail(*, scope: StaffScope, item: ReviewItem, report_ids: list[int]) -> list[AuditEvent]:
    """The item's events and its visible reports' events. A partner's moderator reads the
    reasons (decision notes) of their own partner's staff only: anyone else's may be internal
    to the hub or addressed to another partner."""
    events = audit_list_for(object_type=ITEM, object_id=item.pk)
    report_events = AuditEvent.objects.filter(object_type=MATCH_REPORT, object_id__in=[str(r) for r in report_ids])
    trail = list((events | report_events).select_related("actor_user").order_by("seq"))
    partner_id = scope.partner_id
    if partner_id is not None:
        own_staff = _partner_staff_ids(partner_id)
        for event in trail:
            if event.actor_user_id not in own_staff:
                event.reason = ""  # shown, never saved
    return trail


def item_note_for(*, scope: StaffScope, item: ReviewItem, reports: list[MatchReport]) -> str:
    """The last decision's note as this user may read it: all of it for hub staff; for a
    partner's moderator only a note their partner received (on the reports they see) or one
    their own partner's staff wrote."""
    partner_id = scope.partner_id
    if partner_id is None or any(r.decision_note for r in reports):
        return item.decision_note
    return item.decision_note if item.decided_by_id in _partner_staff_ids(partner_id) else ""


def _partner_staff_ids(partner_id: int) -> set[int]:
    return set(StaffProfile.objects.filter(partner_id=partner_id).values_list("user_id", flat=True))


def queue_permission(state: str) -> str:
    """The permission working the queue of items in ``state`` needs."""
    return REVIEW_ESCALATED if state == ReviewState.ESCALATED else REVIEW


def decision_permission(*, state: str, target: str, possible_minor: bool = False) -> str:
    """The permission moving an item from ``state`` to ``target`` needs (a possible minor's:
    the child-safety team's)."""
    if possible_minor:
        return REVIEW_MINOR
    return REOPEN if target == ReviewState.PENDING else queue_permission(state)


def item_decision_targets(*, user: User, item: ReviewItem) -> set[str]:
    """The states this user may move the item to now (what a page should offer);
    review_decide checks again under the row lock."""
    targets = ALLOWED_TRANSITIONS[item.state]
    if item.reopened_decider_id == user.pk:  # four eyes: someone else decides it now
        targets = targets & {ReviewState.PENDING}
    minor = item.possible_minor
    return {t for t in targets if user.has_perm(decision_permission(state=item.state, target=t, possible_minor=minor))}


def partner_choices(*, scope: StaffScope) -> list[Partner]:
    partner_id = scope.partner_id
    partners = Partner.objects.order_by("display_name")
    return list(partners.filter(pk=partner_id) if partner_id else partners)


def reason_codes() -> list[tuple[str, str]]:
    """The configured decision reasons, (code, label), in the order pages offer them."""
    return list(settings.NCII_REASON_CODES)


def reason_label(code: str) -> str:
    return dict(reason_codes()).get(code, code)
