from dataclasses import dataclass

from django.conf import settings

from matching.hamming import hamming_distance
from matching.index import bank_index
from matching.keys import key_digest
from matching.models import BankHash, HashFeedback, MatchReport, Partner, PartnerKey
from matching.signals import SignalType


@dataclass(frozen=True)
class BankMatch:
    bank_hash: BankHash
    distance: int


def bank_matches(*, signal_type: str, value: str, radius: int | None = None) -> list[BankMatch]:
    """Active bank hashes matching a normalised hash: PDQ within ``radius`` (default: the
    contract's 31), MD5 exactly. Nearest first, ties by id."""
    if signal_type == SignalType.MD5:
        rows = BankHash.objects.filter(signal_type=signal_type, value=value, status=BankHash.Status.ACTIVE)
        return [BankMatch(row, 0) for row in rows]
    limit = settings.NCII_PDQ_MATCH_DISTANCE if radius is None else radius
    ids = bank_index.candidates(value, limit)
    rows = BankHash.objects.filter(id__in=ids, signal_type=signal_type, status=BankHash.Status.ACTIVE)
    found = [BankMatch(row, hamming_distance(row.value, value)) for row in rows]
    return sorted((m for m in found if m.distance <= limit), key=lambda m: (m.distance, m.bank_hash.pk))


def bank_match_best(*, signal_type: str, value: str) -> BankMatch | None:
    matches = bank_matches(signal_type=signal_type, value=value)
    return matches[0] if matches else None


def partner_key_find(*, plaintext: str, kinds: set[str]) -> PartnerKey | None:
    if not plaintext or len(plaintext) > 200:
        return None
    return (
        PartnerKey.objects.select_related("partner")
        .filter(digest=key_digest(plaintext), kind__in=kinds, revoked_at__isnull=True)
        .first()
    )


def report_get_for_partner(*, partner: Partner, report_id: int) -> MatchReport | None:
    return MatchReport.objects.select_related("bank_hash").filter(partner=partner, pk=report_id).first()


def feedback_list(*, bank_hash: BankHash) -> list[HashFeedback]:
    return list(bank_hash.feedback.select_related("partner").order_by("updated_at", "id"))


def feedback_source_name(feedback: HashFeedback) -> str:
    return feedback.partner.display_name if feedback.partner else settings.NCII_HUB_NAME
