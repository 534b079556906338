"""Partner usage: exchange calls counted on the request path (one UPDATE a call, the last
fetch time at most once a minute) and the usage figures the partner page shows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from matching.models import MatchReport
from partners.models import Partner, PartnerUsage
from partners.selectors import partner_usage_get
from tests.api_helpers import FETCH, post_json
from tests.factories import BankHashFactory, PartnerFactory, partner_with_keys, report_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    return partner_with_keys("acme")


def stopncii(keys, endpoint: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    function_key = keys.function_keys[endpoint]
    return {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key, "HTTP_X_FUNCTIONS_KEY": function_key}


def fetch(client, keys, **params: object):  # type: ignore[no-untyped-def]
    query = {"startTimestamp": "0"} | {k: str(v) for k, v in params.items()}
    return client.get(FETCH, query, **stopncii(keys, "FetchHashes"))


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]


def clock_at(monkeypatch, moment):  # type: ignore[no-untyped-def]
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def test_fetches_are_counted_per_day_with_the_records_they_returned(client, acme):
    partner, keys = acme
    BankHashFactory.create_batch(3)

    assert fetch(client, keys).json()["count"] == 3
    assert fetch(client, keys, pageSize=2).json()["count"] == 2

    usage = PartnerUsage.objects.get(partner=partner)
    assert (usage.kind, usage.day, usage.calls, usage.records) == ("fetch", timezone.now().date(), 2, 5)


def test_a_counted_fetch_costs_one_update_and_last_fetch_moves_once_a_minute(client, acme, monkeypatch):
    partner, keys = acme
    fetch(client, keys)
    first = Partner.objects.get(pk=partner.pk).last_fetch_at
    assert first is not None

    with CaptureQueriesContext(connection) as captured:
        assert fetch(client, keys).status_code == 200
    assert len(writes(captured)) == 1 and '"partners_partnerusage"' in writes(captured)[0]
    assert Partner.objects.get(pk=partner.pk).last_fetch_at == first

    clock_at(monkeypatch, timezone.now() + timedelta(seconds=61))
    fetch(client, keys)
    assert Partner.objects.get(pk=partner.pk).last_fetch_at > first


def test_the_first_call_of_a_day_starts_a_new_row(client, acme, monkeypatch):
    partner, keys = acme
    fetch(client, keys)
    clock_at(monkeypatch, timezone.now() + timedelta(days=1))
    fetch(client, keys)
    assert list(PartnerUsage.objects.filter(partner=partner).values_list("calls", flat=True)) == [1, 1]


def test_refused_or_failed_calls_are_not_counted(client, acme):
    _, keys = acme
    assert fetch(client, keys, nextPageToken="forged").status_code == 400
    wrong_keys = {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": "x", "HTTP_X_FUNCTIONS_KEY": "y"}
    assert client.get(FETCH, {"startTimestamp": "0"}, **wrong_keys).status_code == 401
    assert not PartnerUsage.objects.exists()
    assert Partner.objects.get(name="acme").last_fetch_at is None


def test_feedback_and_submitted_hashes_are_counted_too(client, acme):
    partner, keys = acme
    bank_hash = BankHashFactory()
    feedback = {"count": 1, "hashFeedbacks": [{"hashValue": bank_hash.value, "feedbackValue": "Blocked"}]}
    assert post_json(client, "/v1/SubmitFeedback", feedback, **stopncii(keys, "SubmitFeedback")).status_code == 200
    record = {"signalType": "VideoMD5", "hashValue": "ab" * 16}
    submitted = {"count": 2, "hashRecords": [record, record | {"hashValue": "cd" * 16}]}
    assert post_json(client, "/v1/SubmitHashes", submitted, **stopncii(keys, "SubmitHashes")).status_code == 200

    rows = dict(PartnerUsage.objects.filter(partner=partner).values_list("kind", "records"))
    assert rows == {"feedback": 1, "submit": 2}
    assert Partner.objects.get(pk=partner.pk).last_fetch_at is None  # only fetches move it


# --- the figures ----------------------------------------------------------------------------


def reports(partner, count: int, **fields: object) -> None:  # type: ignore[no-untyped-def]
    ids = [report_for(partner, BankHashFactory()).pk for _ in range(count)]
    MatchReport.objects.filter(pk__in=ids).update(**fields)


def test_usage_figures_count_reports_outcomes_and_mismatches(client, acme, django_assert_num_queries):
    partner, keys = acme
    BankHashFactory.create_batch(2)
    fetch(client, keys)
    processed = {"status": "processed", "content_pdq": "f" * 64}
    reports(partner, 3, outcome="confirmed", **processed)
    reports(partner, 1, outcome="dismissed", hash_mismatch=True, **processed)
    reports(partner, 2)  # pending, no review image
    reports(partner, 2, outcome="dismissed", received_at=timezone.now() - timedelta(days=40))
    reports(PartnerFactory(), 5, outcome="confirmed")  # someone else's

    partner.refresh_from_db()
    with django_assert_num_queries(2):
        usage = partner_usage_get(partner=partner)

    assert usage.last_fetch_at == partner.last_fetch_at and usage.days == 30
    recent, total = usage.recent, usage.total
    assert (recent.calls["fetch"], recent.records["fetch"], recent.calls["feedback"]) == (1, 2, 0)
    assert (recent.reports, recent.confirmed, recent.dismissed) == (6, 3, 1)
    assert (total.reports, total.confirmed, total.dismissed) == (8, 3, 3)
    assert (recent.confirm_rate, recent.dismiss_rate) == (75.0, 25.0)
    assert (total.confirm_rate, total.dismiss_rate) == (50.0, 50.0)
    assert (recent.verified, recent.mismatched, recent.mismatch_rate) == (4, 1, 25.0)


def test_a_partner_with_no_activity_has_zeros_and_no_rates():
    usage = partner_usage_get(partner=PartnerFactory())
    assert usage.last_fetch_at is None
    assert usage.total.calls == {"fetch": 0, "feedback": 0, "submit": 0}
    assert usage.total.reports == 0
    assert (usage.total.confirm_rate, usage.total.dismiss_rate, usage.total.mismatch_rate) == (None, None, None)


@pytest.mark.django_db(transaction=True)
def test_a_fetch_is_answered_uncounted_when_the_database_cannot_take_the_counter(client):
    """SQLite, the embedded default, has one writer at a time: while another request holds a
    long write, a fetch (a read) still answers; only its usage count is skipped."""
    if connection.vendor != "sqlite":
        pytest.skip("the single-writer lock is SQLite's")
    import sqlite3

    _, keys = partner_with_keys("acme")
    BankHashFactory()
    other_writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 200")  # not 20 s, for the test's sake
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        response = fetch(client, keys)
    finally:
        other_writer.execute("ROLLBACK")
        other_writer.close()
        connection.connection.execute(f"PRAGMA busy_timeout = {connection.settings_dict['OPTIONS']['timeout'] * 1000}")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert not PartnerUsage.objects.exists()
