"""A FetchHashes page built by PostgreSQL: one statement walks the keyset index, gathers each
record's feedback and writes the page's ``hashRecords`` as JSON text, so no Python object
is made per record (the ORM path in matching.exchange made eight, and was 10× slower).
The record shape is ``matching.exchange.record_out``'s, key for key."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from matching.models import BankHash, HashFeedback
from matching.quarantine import QUARANTINE_FEEDBACK
from partners.models import Partner

# ``after`` is an exclusive (modified_at, id) position; the row comparison walks the
# (modified_at, id) index from it. One row more than the page says whether more follow. The
# page's feedback is gathered in one grouped index scan (faster than a subquery per record).
_PAGE_SQL = """
WITH page AS (
    SELECT id, modified_at, signal_type, value, status, case_refs,
           row_number() OVER (ORDER BY modified_at, id) AS n
    FROM (
        SELECT id, modified_at, signal_type,
               CASE WHEN signal_type = 'VideoPDQ' THEN video ELSE value END AS value, status, case_refs
        FROM {bank}
        WHERE modified_at < %(horizon)s AND (modified_at, id) > (%(after_at)s, %(after_id)s)
          AND (%(videos)s OR signal_type <> 'VideoPDQ')  -- VideoPDQ only for partners who opted in
        ORDER BY modified_at, id
        LIMIT %(limit)s
    ) AS rows
), feedback AS (
    SELECT bank_hash_id, json_agg(entry ORDER BY position) AS records
    FROM (
        SELECT f.bank_hash_id, f.id AS position, json_build_object(
                   'feedbackValue', f.value,
                   'tags', CASE WHEN jsonb_typeof(f.tags) = 'array' THEN f.tags ELSE '[]'::jsonb END,
                   'source', coalesce(p.display_name, %(hub)s)
               ) AS entry
        FROM {feedback} AS f LEFT JOIN {partner} AS p ON p.id = f.partner_id
        WHERE f.bank_hash_id = ANY(ARRAY(SELECT id FROM page WHERE n <= %(size)s))
        UNION ALL  -- a quarantined hash's entry telling partners not to act on it automatically, last
        SELECT b.id, 9223372036854775807, json_build_object(
                   'feedbackValue', %(quarantine_value)s, 'tags', %(quarantine_tags)s::json, 'source', %(hub)s
               )
        FROM {bank} AS b
        WHERE b.id = ANY(ARRAY(SELECT id FROM page WHERE n <= %(size)s)) AND b.quarantined_at IS NOT NULL
    ) AS entries
    GROUP BY bank_hash_id
)
SELECT count(*) FILTER (WHERE n <= %(size)s),
       coalesce(max(n) > %(size)s, false),
       max(modified_at) FILTER (WHERE n = %(size)s),
       max(id) FILTER (WHERE n = %(size)s),
       coalesce(json_agg(json_build_object(
           'lastModtimestamp', floor(date_part('epoch', modified_at))::bigint,  -- a double: exact until 2240
           'signalType', signal_type,
           'hashValue', value,
           'hashStatus', status,
           'caseNumbers', case_refs,
           'CSPFeedbacks', coalesce(feedback.records, '[]'::json)
       ) ORDER BY n) FILTER (WHERE n <= %(size)s), '[]'::json)::text
FROM page LEFT JOIN feedback ON feedback.bank_hash_id = page.id
"""


@dataclass(frozen=True)
class PageJson:
    count: int
    more: bool
    last_at: datetime | None  # the position of the page's last record when more follow
    last_id: int | None
    records_json: str


def page_json(*, horizon: datetime, after_at: datetime, after_id: int, size: int, videos: bool = False) -> PageJson:
    """Up to ``size`` records after the position and before the horizon, as a JSON array;
    VideoPDQ records (their vPDQ text as ``hashValue``) only with ``videos``."""
    quote = connection.ops.quote_name
    sql = _PAGE_SQL.format(
        bank=quote(BankHash._meta.db_table),
        feedback=quote(HashFeedback._meta.db_table),
        partner=quote(Partner._meta.db_table),
    )
    params: dict[str, Any] = {
        "horizon": horizon,
        "after_at": after_at,
        "after_id": after_id,
        "limit": size + 1,
        "size": size,
        "videos": videos,
        "hub": settings.NCII_HUB_NAME,
        "quarantine_value": QUARANTINE_FEEDBACK["feedbackValue"],
        "quarantine_tags": json.dumps(QUARANTINE_FEEDBACK["tags"]),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, more, last_at, last_id, records_json = cursor.fetchone()
    return PageJson(count, more, last_at if more else None, last_id if more else None, records_json)
