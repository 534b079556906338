"""Reads for the caseworkers' pages.

Review items belong to ``moderation``, which imports ``cases``; to keep imports one-way they
are read here only through the ORM reverse relation ``BankHash.review_items`` (declared by
moderation.ReviewItem.bank_hash) and through matching's MatchReport rows, never by importing
moderation."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet

from audit.models import AuditEvent
from audit.selectors import audit_list_for
from cases.codes import case_number_normalise
from cases.models import Case, CaseHash, CaseNote
from cases.services import CASE
from matching.models import BankHash, HashFeedback, MatchReport
from matching.selectors import feedback_source_name

CASE_AUDIT_LIMIT = 200  # latest events shown on the case page (views add up)
PENDING = "Pending"
_NOT_YET = {HashFeedback.Value.NONE, HashFeedback.Value.PENDING_REVIEW}


def case_find_by_number(*, raw: str) -> Case | None:
    """The case with exactly this number, however it was typed. No partial matches: staff
    find a case the person tells them about, they cannot browse for one."""
    number = case_number_normalise(raw)
    return Case.objects.filter(number=number).first() if number else None


def case_protected_hash_count(*, case: Case) -> int:
    """How many of the case's hashes it still protects: none once the case is withdrawn, and
    not those withdrawn from it one by one."""
    if case.status != Case.Status.ACTIVE:
        return 0
    return case.hash_links.filter(withdrawn_at__isnull=True).count()


def case_protected_counts(*, case: Case) -> dict[str, int]:
    """The hashes the case still protects, by signal type (as case_protected_hash_count)."""
    if case.status != Case.Status.ACTIVE:
        return {}
    links = case.hash_links.filter(withdrawn_at__isnull=True)
    rows = links.values("bank_hash__signal_type").annotate(n=Count("pk")).order_by()
    return {row["bank_hash__signal_type"]: row["n"] for row in rows}


def case_get(*, case_id: int) -> Case | None:
    return Case.objects.filter(pk=case_id).first()


@dataclass(frozen=True)
class PartnerVerdict:
    source: str  # a partner's display name, or the hub's for its moderators' own feedback
    matched: bool  # the partner reported content matching the hash
    feedback: str  # Blocked, NotBlocked, Pending (matched, no verdict yet) or another value
    hub: bool = False  # the hub's own feedback: its moderators' standing decision


@dataclass(frozen=True)
class CaseHashRow:
    link: CaseHash
    active: bool  # partners see this case protecting the hash
    partners_matched: int
    verdicts: list[PartnerVerdict]
    review_items: list[Any]  # moderation.ReviewItem rows, via the reverse relation

    @property
    def bank_hash(self) -> BankHash:
        return self.link.bank_hash

    @property
    def video(self) -> tuple[int, float] | None:
        """A VideoPDQ's frame count and length in seconds (annotated by ``case_hash_rows``)."""
        frames = getattr(self.link, "video_frames", 0)
        return (frames, getattr(self.link, "video_seconds", None) or 0.0) if frames else None

    def _count(self, feedback: str) -> int:
        return sum(v.feedback == feedback for v in self.verdicts)

    @property
    def blocked(self) -> int:
        return self._count(HashFeedback.Value.BLOCKED)

    @property
    def not_blocked(self) -> int:
        return self._count(HashFeedback.Value.NOT_BLOCKED)

    @property
    def pending(self) -> int:
        return self._count(PENDING)


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    hashes: list[CaseHashRow]
    notes: list[CaseNote]
    audit_trail: list[AuditEvent]

    @property
    def review_items(self) -> list[tuple[CaseHashRow, Any]]:
        pairs = [(row, item) for row in self.hashes for item in row.review_items]
        return sorted(pairs, key=lambda pair: (pair[1].opened_at, pair[1].pk))


def case_detail_get(*, case: Case) -> CaseDetail:
    """Everything the case page shows, in a fixed number of queries however many hashes,
    reports, feedback rows and review items there are."""
    return CaseDetail(case, case_hash_rows(case=case), case_notes(case=case), case_audit_trail(case=case))


def case_hash_rows(*, case: Case) -> list[CaseHashRow]:
    feedback = HashFeedback.objects.select_related("partner").order_by("pk")
    links = list(
        case.hash_links.select_related("bank_hash")
        # a VideoPDQ's frames and length (its last frame's time), for the page; 0 and None otherwise
        .annotate(video_frames=Count("bank_hash__frames"), video_seconds=Max("bank_hash__frames__timestamp"))
        .prefetch_related(Prefetch("bank_hash__feedback", queryset=feedback), "bank_hash__review_items")
        .order_by("created_at", "pk")
    )
    matched = _partners_matched([link.bank_hash_id for link in links])
    return [_hash_row(case, link, matched.get(link.bank_hash_id, {})) for link in links]


def _partners_matched(bank_hash_ids: list[int]) -> dict[int, dict[int, str]]:
    """bank hash id -> {partner id: display name} of the partners that reported a match."""
    rows = (
        MatchReport.objects.filter(bank_hash_id__in=bank_hash_ids)
        .order_by()
        .values_list("bank_hash_id", "partner_id", "partner__display_name")
        .distinct()
    )
    out: dict[int, dict[int, str]] = {}
    for bank_hash_id, partner_id, name in rows:
        out.setdefault(bank_hash_id, {})[partner_id] = name
    return out


def _hash_row(case: Case, link: CaseHash, matched: dict[int, str]) -> CaseHashRow:
    active = case.status == Case.Status.ACTIVE and link.withdrawn_at is None
    items = sorted(link.bank_hash.review_items.all(), key=lambda item: (item.opened_at, item.pk))
    return CaseHashRow(link, active, len(matched), _verdicts(link.bank_hash, matched), items)


def _verdicts(bank_hash: BankHash, matched: dict[int, str]) -> list[PartnerVerdict]:
    """A verdict from each partner that matched the hash or gave feedback on it."""
    given = {f.partner_id: f for f in bank_hash.feedback.all()}
    verdicts = [
        PartnerVerdict(
            feedback_source_name(f),
            f.partner_id in matched,
            PENDING if f.value in _NOT_YET else f.value,
            hub=f.partner_id is None,
        )
        for f in given.values()
    ]
    verdicts += [PartnerVerdict(name, True, PENDING) for pid, name in matched.items() if pid not in given]
    return sorted(verdicts, key=lambda v: v.source.lower())


def case_notes(*, case: Case) -> list[CaseNote]:
    return list(case.notes.select_related("author").order_by("created_at", "pk"))


def case_audit_trail(*, case: Case) -> list[AuditEvent]:
    """The case's latest events, newest first."""
    return list(audit_list_for(object_type=CASE, object_id=case.pk).order_by("-seq")[:CASE_AUDIT_LIMIT])


def disputed_hash_list() -> QuerySet[BankHash]:
    """Bank hashes that at least NCII_DISPUTED_MIN_NOT_BLOCKED partners call NotBlocked, that
    nobody (partner or hub) calls Blocked, and that an active case still protects: for a
    caseworker to check with the person. Most disputed first. Each row carries
    ``active_links`` (with their cases) and ``not_blocked_feedback`` (with its partners)."""
    not_blocked = Q(value=HashFeedback.Value.NOT_BLOCKED, partner__isnull=False)
    active_links = CaseHash.objects.filter(case__status=Case.Status.ACTIVE, withdrawn_at__isnull=True)
    blocked = HashFeedback.objects.filter(bank_hash=OuterRef("pk"), value=HashFeedback.Value.BLOCKED)
    count = Count(
        "feedback", filter=Q(feedback__value=HashFeedback.Value.NOT_BLOCKED, feedback__partner__isnull=False)
    )  # one feedback row per partner (a constraint), so this counts partners
    return (
        BankHash.objects.annotate(not_blocked=count)
        .filter(~Exists(blocked), Exists(active_links.filter(bank_hash=OuterRef("pk"))))
        .filter(not_blocked__gte=settings.NCII_DISPUTED_MIN_NOT_BLOCKED)
        .prefetch_related(
            Prefetch("case_links", active_links.select_related("case").order_by("pk"), to_attr="active_links"),
            Prefetch(
                "feedback",
                HashFeedback.objects.filter(not_blocked).select_related("partner").order_by("partner__display_name"),
                to_attr="not_blocked_feedback",
            ),
        )
        .order_by("-not_blocked", "pk")
    )
