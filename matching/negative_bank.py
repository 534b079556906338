"""The negative bank (allow-list): hashes of content known to be benign. A hash it covers
(MD5 equal, PDQ within NCII_NEGATIVE_PDQ_DISTANCE) can never enter the bank or match a
report. Adding one lists the active bank hashes it covers, for staff to review."""

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction

from audit.services import Actor, audit_record
from matching.audit_events import NEGATIVE_ADDED, NEGATIVE_HASH
from matching.hamming import hexes_to_words
from matching.models import BankHash, NegativeHash
from matching.selectors import BankMatch, bank_matches
from matching.signal_types import SignalType, hash_normalise
from ncii_site.errors import DomainError

BLOCK = 4096  # values compared against the whole negative bank at once


class KnownBenign(DomainError, ValueError):
    code = "known_benign"
    status = 422


class NegativeRefused(DomainError, ValueError):
    code = "negative_refused"
    status = 400


def negative_covered(*, signal_type: str, values: list[str]) -> list[bool]:
    """For each normalised hash: is it covered by the negative bank? One query a call."""
    if not values:
        return []
    stored = list(NegativeHash.objects.filter(signal_type=signal_type).values_list("value", flat=True))
    if not stored:
        return [False] * len(values)
    if signal_type != SignalType.PDQ:  # MD5 and VideoPDQ keys: exact
        benign = set(stored)
        return [v in benign for v in values]
    negatives, covered = hexes_to_words(stored), []
    for start in range(0, len(values), BLOCK):
        block = hexes_to_words(values[start : start + BLOCK])
        distances = np.bitwise_count(block[:, None, :] ^ negatives[None, :, :]).sum(axis=2)
        covered += (distances.min(axis=1) <= settings.NCII_NEGATIVE_PDQ_DISTANCE).tolist()
    return covered


def negative_refuse_covered(*, signal_type: str, value: str) -> None:
    if negative_covered(signal_type=signal_type, values=[value])[0]:
        raise KnownBenign("This hash is on the hub's list of known-benign content; nothing was stored.")


def negative_exact(*, signal_type: str, value: str) -> bool:
    return NegativeHash.objects.filter(signal_type=signal_type, value=value).exists()


@transaction.atomic
def negative_add(*, signal_type: str, value: str, reason: str, source: str, actor: Actor) -> NegativeHash:
    """Put a hash on the negative bank (in the caller's transaction, if any)."""
    value, reason = hash_normalise(signal_type, value), reason.strip()
    if not reason:
        raise NegativeRefused("Give a reason: why is this content benign?")
    if NegativeHash.objects.count() >= settings.NCII_NEGATIVE_BANK_MAX:
        raise NegativeRefused(f"The negative bank holds at most {settings.NCII_NEGATIVE_BANK_MAX} hashes.")
    try:
        with transaction.atomic():
            entry = NegativeHash.objects.create(
                signal_type=signal_type, value=value, source=source, reason=reason, added_by=actor.label
            )
    except IntegrityError:
        raise NegativeRefused("That hash is already on the negative bank; nothing was changed.") from None
    covered = negative_covered_active(entry=entry, limit=settings.NCII_NEGATIVE_COVERED_LIST_MAX)
    audit_record(
        actor=actor,
        action=NEGATIVE_ADDED,
        object_type=NEGATIVE_HASH,
        object_id=entry.pk,
        reason=reason,
        after={"signal_type": signal_type, "source": source, "covers_active": [m.bank_hash.pk for m in covered]},
    )
    return entry


def negative_covered_active(*, entry: NegativeHash, limit: int) -> list[BankMatch]:
    """The active bank hashes this entry covers, nearest first: for staff to review."""
    if entry.signal_type != SignalType.PDQ:
        found = BankHash.objects.filter(signal_type=entry.signal_type, value=entry.value, status="Active")
        return [BankMatch(b, 0) for b in found[:limit]]
    radius = settings.NCII_NEGATIVE_PDQ_DISTANCE
    return bank_matches(signal_type=entry.signal_type, value=entry.value, radius=radius)[:limit]


def negative_list(*, limit: int = 200) -> list[NegativeHash]:
    return list(NegativeHash.objects.order_by("-created_at", "-pk")[:limit])
