"""Reads for the StopNCII-compatible exchange: keyset-paginated snapshots of bank hashes."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Prefetch, Q

from matching.horizon import change_horizon
from matching.models import BankHash, HashFeedback
from matching.quarantine import QUARANTINE_FEEDBACK
from matching.selectors import feedback_source_name
from ncii_site.errors import DomainError

_TOKEN_SALT = "ncii.exchange.page"  # noqa: S105 - a signing salt, not a secret


class BadPageToken(DomainError, ValueError):
    code = "invalid_page_token"
    status = 400


@dataclass(frozen=True)
class Position:
    modified_us: int
    pk: int


def epoch_seconds(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def _from_us(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)


def _to_us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def page_token_encode(*, start: int, position: Position) -> str:
    return signing.dumps([start, position.modified_us, position.pk], salt=_TOKEN_SALT, compress=True)


def page_token_decode(token: str, *, start: int) -> Position:
    try:
        data = signing.loads(token, salt=_TOKEN_SALT, max_age=settings.NCII_EXCHANGE_TOKEN_MAX_AGE)
        token_start, modified_us, pk = data
    except signing.SignatureExpired:
        raise BadPageToken("nextPageToken has expired; restart the walk from your checkpoint.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise BadPageToken("nextPageToken is not one this server issued.") from None
    if token_start != start:
        raise BadPageToken("nextPageToken belongs to a walk with a different startTimestamp.")
    return Position(int(modified_us), int(pk))


@dataclass(frozen=True)
class FetchPage:
    records: list[dict[str, Any]]
    next_token: str | None
    next_set_timestamp: int


def record_out(bank_hash: BankHash) -> dict[str, Any]:
    return {
        "lastModtimestamp": epoch_seconds(bank_hash.modified_at),
        "signalType": bank_hash.signal_type,
        "hashValue": bank_hash.value,
        "hashStatus": bank_hash.status,
        "caseNumbers": dict(bank_hash.case_refs),
        "CSPFeedbacks": [
            {"feedbackValue": f.value, "tags": list(f.tags or []), "source": feedback_source_name(f)}
            for f in bank_hash.feedback.all()
        ]
        + _quarantine_feedback(bank_hash),
    }


def _quarantine_feedback(bank_hash: BankHash) -> list[dict[str, Any]]:
    """A quarantined hash stays Active on the wire; this entry tells partners not to act on
    it automatically (see matching.quarantine)."""
    if bank_hash.quarantined_at is None:
        return []
    return [{**QUARANTINE_FEEDBACK, "source": settings.NCII_HUB_NAME}]


def fetch_page(*, start: int, page_size: int, token: str | None) -> FetchPage:
    """One page of the bank ordered by (modified_at, id), up to the horizon: a change not
    yet visible can only get a later time than anything returned, so it is seen by this walk
    or the next and ``next_set_timestamp`` is always a checkpoint that loses nothing."""
    horizon = change_horizon()
    rows = BankHash.objects.filter(modified_at__lt=horizon)
    if token:
        pos = page_token_decode(token, start=start)
        at = _from_us(pos.modified_us)
        # Equal to (modified_at, pk) > (at, pk) with the range on modified_at spelt out:
        # with only the OR, SQLite gathered and sorted every later row (and PostgreSQL may
        # filter from the start of the index), so each page cost O(rest of the bank).
        rows = rows.filter(Q(modified_at__gte=at), Q(modified_at__gt=at) | Q(pk__gt=pos.pk))
    else:
        rows = rows.filter(modified_at__gte=datetime.fromtimestamp(start, tz=UTC))
    feedback = Prefetch("feedback", queryset=HashFeedback.objects.select_related("partner").order_by("pk"))
    page = list(rows.order_by("modified_at", "pk").prefetch_related(feedback)[: page_size + 1])
    more, page = len(page) > page_size, page[:page_size]
    if more:
        last = page[-1]
        token_out = page_token_encode(start=start, position=Position(_to_us(last.modified_at), last.pk))
        next_set = epoch_seconds(last.modified_at)
    else:
        token_out, next_set = None, epoch_seconds(horizon)
    return FetchPage([record_out(b) for b in page], token_out, max(start, next_set))
