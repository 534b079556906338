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
from matching.selectors import feedback_source_name
from ncii_site.http import MAX_DB_ID

_TOKEN_SALT = "ncii.exchange.page"  # noqa: S105 - a signing salt, not a secret


class BadPageToken(ValueError):
    pass


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
    except signing.SignatureExpired:
        raise BadPageToken("nextPageToken has expired; restart the walk from your checkpoint.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise BadPageToken("nextPageToken is not one this server issued.") from None
    token_start, modified_us, pk = _token_fields(data)
    if token_start != start:
        raise BadPageToken("nextPageToken belongs to a walk with a different startTimestamp.")
    return Position(modified_us, pk)


_MAX_US = _to_us(datetime.max.replace(tzinfo=UTC))


def _token_fields(data: object) -> tuple[int, int, int]:
    """A validly signed token is still checked field by field (a leaked or older signing key
    must not turn junk into a 500): three integers, a time a datetime holds, a database id."""
    if not (isinstance(data, list) and len(data) == 3 and all(type(v) is int for v in data)):
        raise BadPageToken("nextPageToken is not one this server issued.")
    start, modified_us, pk = data
    if not (0 <= modified_us <= _MAX_US and 0 < pk <= MAX_DB_ID):
        raise BadPageToken("nextPageToken is not one this server issued.")
    return start, modified_us, pk


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
        ],
    }


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
