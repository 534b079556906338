"""FetchHashes pages built by PostgreSQL (matching.exchange_sql) are the ORM path's pages,
record for record and byte for byte once parsed: the same order, positions, feedback (with its
sources, tags and order), case numbers, statuses and timestamps. And the API sends the page's
JSON as one body whichever path made it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from matching.exchange_selectors import Position, _from_us, _to_us, fetch_page, page_body, page_json_orm
from matching.exchange_sql import page_json
from matching.models import BankHash, HashFeedback
from tests.factories import BankHashFactory, PartnerFactory, random_pdq, video_frames

pytestmark = pytest.mark.django_db


def varied_bank() -> None:
    """Ties on modified_at (to the microsecond), fractional seconds, both signal types, case
    links, withdrawals, and feedback from several partners and from the hub."""
    base = timezone.now().replace(microsecond=999_999) - timedelta(hours=3)
    partners = [PartnerFactory(display_name=name) for name in ("Zed & Co", 'Quote "Q"', "Ünïcode")]
    for i in range(57):
        video = i % 6 == 1  # a VideoPDQ: its key as value, its vPDQ text in ``video``
        bank_hash = BankHashFactory(
            signal_type="VideoMD5" if i % 7 == 0 else "VideoPDQ" if video else "ImagePDQ",
            value=random_pdq()[:32] if i % 7 == 0 else random_pdq(),
            video=json.dumps(video_frames(3)) if video and i % 7 else "",
            quality=None if i % 7 == 0 else 90,
            status="Withdrawn" if i % 11 == 0 else "Active",
            case_refs={f"ref-{i}": "Active", f"ref-{i}b": "Withdrawn"} if i % 3 == 0 else {},
            modified_at=base + timedelta(microseconds=250_000 * (i // 4)),
        )
        for n, partner in enumerate(partners[: i % 4]):
            HashFeedback.objects.create(
                bank_hash=bank_hash, partner=partner, value="Blocked", tags=["a", "b"][:n], updated_at=base
            )
        if i % 5 == 0:
            HashFeedback.objects.create(bank_hash=bank_hash, partner=None, value="PendingReview", updated_at=base)


@pytest.mark.postgres
@pytest.mark.parametrize("size", [1, 5, 56, 57, 100])
@pytest.mark.parametrize("videos", [False, True])
def test_postgres_pages_equal_the_orm_pages_all_the_way(size, videos):
    varied_bank()
    horizon = timezone.now()
    after = Position(0, 0)
    pages, total = 0, 0
    while True:
        args = {
            "horizon": horizon,
            "after_at": _from_us(after.modified_us),
            "after_id": after.pk,
            "size": size,
            "videos": videos,
        }
        in_sql, in_orm = page_json(**args), page_json_orm(**args)
        assert (in_sql.count, in_sql.more, in_sql.last_at, in_sql.last_id) == (
            in_orm.count,
            in_orm.more,
            in_orm.last_at,
            in_orm.last_id,
        )
        assert json.loads(in_sql.records_json) == json.loads(in_orm.records_json)
        kinds = {r["signalType"] for r in json.loads(in_sql.records_json)}
        assert videos or "VideoPDQ" not in kinds
        total += in_sql.count
        pages += 1
        if not in_sql.more:
            break
        after = Position(_to_us(in_sql.last_at), in_sql.last_id)
    expected = BankHash.objects.count() if videos else BankHash.objects.exclude(signal_type="VideoPDQ").count()
    assert total == expected and pages == max(1, -(-expected // size))


@pytest.mark.postgres
def test_postgres_page_before_the_first_record_and_past_the_horizon_is_empty():
    BankHashFactory(modified_at=timezone.now() - timedelta(hours=1))
    page = page_json(horizon=timezone.now() - timedelta(hours=2), after_at=_from_us(0), after_id=0, size=10)
    assert (page.count, page.more, page.last_at, page.records_json) == (0, False, None, "[]")


def test_the_response_body_is_the_page_with_its_records_spliced_in():
    BankHashFactory.create_batch(3, modified_at=timezone.now() - timedelta(hours=1))
    page = fetch_page(start=0, page_size=2, token=None)
    body = json.loads(page_body(page))
    assert body == {
        "count": 2,
        "nextPageToken": page.next_token,
        "nextSetTimestamp": page.next_set_timestamp,
        "hasMoreRecords": True,
        "hashRecords": page.records,
    }
    assert {r["hashValue"] for r in body["hashRecords"]} < set(BankHash.objects.values_list("value", flat=True))
