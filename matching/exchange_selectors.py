"""Reads for the StopNCII-compatible exchange: keyset-paginated snapshots of bank hashes."""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import Prefetch, Q

from matching.exchange_sql import PageJson, page_json
from matching.horizon import change_horizon
from matching.models import BankHash, HashFeedback
from matching.quarantine import QUARANTINE_FEEDBACK
from matching.selectors import feedback_source_name
from matching.signal_types import SignalType
from ncii_site.errors import DomainError
from ncii_site.http import MAX_DB_ID

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
    count: int
    records_json: str  # the page's hashRecords, a JSON array
    next_token: str | None
    next_set_timestamp: int

    @property
    def records(self) -> list[dict[str, Any]]:
        return json.loads(self.records_json)


def record_out(bank_hash: BankHash) -> dict[str, Any]:
    return {
        "lastModtimestamp": epoch_seconds(bank_hash.modified_at),
        "signalType": bank_hash.signal_type,
        "hashValue": bank_hash.video if bank_hash.signal_type == SignalType.VPDQ else bank_hash.value,
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


def fetch_page(*, start: int, page_size: int, token: str | None, videos: bool = False) -> FetchPage:
    """One page of the bank ordered by (modified_at, id), up to the horizon: a change not
    yet visible can only get a later time than anything returned, so it is seen by this walk
    or the next and ``next_set_timestamp`` is always a checkpoint that loses nothing.
    PostgreSQL writes the page's JSON itself (matching.exchange_sql); SQLite goes through
    the ORM. VideoPDQ records go only to partners who opted in (``videos``)."""
    horizon = change_horizon()
    # No token: from startTimestamp inclusive, i.e. after (start, id 0).
    after = page_token_decode(token, start=start) if token else Position(start * 1_000_000, 0)
    pager = page_json if connection.vendor == "postgresql" else page_json_orm
    page = pager(
        horizon=horizon, after_at=_from_us(after.modified_us), after_id=after.pk, size=page_size, videos=videos
    )
    if page.more and page.last_at is not None and page.last_id is not None:
        token_out = page_token_encode(start=start, position=Position(_to_us(page.last_at), page.last_id))
        next_set = epoch_seconds(page.last_at)
    else:
        token_out, next_set = None, epoch_seconds(horizon)
    return FetchPage(page.count, page.records_json, token_out, max(start, next_set))


def page_json_orm(*, horizon: datetime, after_at: datetime, after_id: int, size: int, videos: bool = False) -> PageJson:
    """``exchange_sql.page_json`` through the ORM: a query, a prefetch and a dict per record."""
    # Equal to (modified_at, pk) > (at, pk) with the range on modified_at spelt out:
    # with only the OR, SQLite gathered and sorted every later row, so each page cost
    # O(rest of the bank).
    rows = BankHash.objects.filter(
        Q(modified_at__lt=horizon), Q(modified_at__gte=after_at), Q(modified_at__gt=after_at) | Q(pk__gt=after_id)
    )
    if not videos:
        rows = rows.exclude(signal_type=SignalType.VPDQ)
    feedback = Prefetch("feedback", queryset=HashFeedback.objects.select_related("partner").order_by("pk"))
    page = list(rows.order_by("modified_at", "pk").prefetch_related(feedback)[: size + 1])
    more, page = len(page) > size, page[:size]
    records_json = json.dumps([record_out(b) for b in page], ensure_ascii=False, separators=(",", ":"))
    if not more:
        return PageJson(len(page), False, None, None, records_json)
    return PageJson(len(page), True, page[-1].modified_at, page[-1].pk, records_json)


def page_body(page: FetchPage) -> str:
    """The FetchHashes response body, with the records' JSON spliced in as it is."""
    head = {
        "count": page.count,
        "nextPageToken": page.next_token,
        "nextSetTimestamp": page.next_set_timestamp,
        "hasMoreRecords": page.next_token is not None,
    }
    return json.dumps(head, separators=(",", ":"))[:-1] + ',"hashRecords":' + page.records_json + "}"
