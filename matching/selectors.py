from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from matching.hamming import hamming_distance
from matching.index import bank_index
from matching.models import BankHash, HashFeedback, MatchReport, ReviewImage
from matching.signal_types import SignalType
from partners.models import Partner


@dataclass(frozen=True)
class BankMatch:
    bank_hash: BankHash
    distance: int


def bank_matches_many(*, signal_type: str, values: list[str], radius: int | None = None) -> list[list[BankMatch]]:
    """For each normalised hash, the active bank hashes matching it: PDQ within ``radius``
    (default: the contract's 31), MD5 (and a VideoPDQ's key) exactly. Nearest first, ties by id; one query a batch."""
    active = BankHash.objects.filter(signal_type=signal_type, status=BankHash.Status.ACTIVE)
    if signal_type != SignalType.PDQ:  # MD5, and a VideoPDQ by its key: exact
        rows = {row.value: row for row in active.filter(value__in=set(values))}
        return [[BankMatch(rows[v], 0)] if v in rows else [] for v in values]
    limit = settings.NCII_PDQ_MATCH_DISTANCE if radius is None else radius
    candidates = bank_index.candidates_many(values, limit)
    by_pk = active.in_bulk({pk for ids in candidates for pk in ids})
    results = []
    for value, ids in zip(values, candidates, strict=True):
        found = [BankMatch(by_pk[pk], hamming_distance(by_pk[pk].value, value)) for pk in ids if pk in by_pk]
        found = [m for m in found if m.distance <= limit]
        results.append(sorted(found, key=lambda m: (m.distance, m.bank_hash.pk)))
    return results


def bank_matches(*, signal_type: str, value: str, radius: int | None = None) -> list[BankMatch]:
    return bank_matches_many(signal_type=signal_type, values=[value], radius=radius)[0]


def bank_cluster_members(*, bank_hash: BankHash) -> list[BankMatch]:
    """The other hashes in this hash's near-duplicate cluster, nearest first."""
    root = bank_hash.cluster_id or bank_hash.pk
    members = BankHash.objects.filter(Q(cluster_id=root) | Q(pk=root)).exclude(pk=bank_hash.pk)
    found = [BankMatch(m, hamming_distance(m.value, bank_hash.value)) for m in members]
    return sorted(found, key=lambda m: (m.distance, m.bank_hash.pk))


def bank_match_best(*, signal_type: str, value: str, radius: int | None = None) -> BankMatch | None:
    """The nearest active bank hash, for intake. A miss is checked again against a freshly
    refreshed index: the process's index may lag by NCII_INDEX_REFRESH_SECONDS, and refusing
    a report of a hash banked a moment ago would be wrong. (A hit is already checked against
    the database.)"""
    matches = bank_matches(signal_type=signal_type, value=value, radius=radius)
    if not matches and signal_type == SignalType.PDQ:
        bank_index.refresh(force=True)
        matches = bank_matches(signal_type=signal_type, value=value, radius=radius)
    return matches[0] if matches else None


def report_get_for_partner(*, partner: Partner, report_id: int) -> MatchReport | None:
    return MatchReport.objects.select_related("bank_hash").filter(partner=partner, pk=report_id).first()


def report_keyframe_checks(*, report: MatchReport) -> list[tuple[int, int]]:
    """A video report's checked keyframes: (position, distance to the nearest claimed frame)."""
    images = ReviewImage.objects.filter(report=report, claim_distance__isnull=False).order_by("position")
    rows = images.values_list("position", "claim_distance")
    return [(position, distance) for position, distance in rows if distance is not None]


def feedback_list(*, bank_hash: BankHash) -> list[HashFeedback]:
    return list(bank_hash.feedback.select_related("partner").order_by("updated_at", "id"))


def feedback_source_name(feedback: HashFeedback) -> str:
    return feedback.partner.display_name if feedback.partner else settings.NCII_HUB_NAME
