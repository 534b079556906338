"""The metrics page: who may see it, the figures its aggregate queries give on known data,
a bounded number of queries whatever the data, the per-process cache, and a page that
renders (empty or not) with its chart data as JSON and no inline script or style."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from audit.services import Actor, audit_record_atomic
from cases.models import Case
from hub import metrics
from hub.metrics import metrics_compute, metrics_get, percentile, week_starts
from matching.models import BankHash, MatchReport
from moderation.audit_events import IMAGE_REVEALED, ITEM_CONFIRM
from moderation.models import ReviewItem
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, report_for
from tests.staff_helpers import query_count, signed_in

pytestmark = pytest.mark.django_db

URL = reverse("metrics")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
THIS_WEEK = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    metrics.metrics_cache_clear()
    yield
    metrics.metrics_cache_clear()


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def bank_hashes(count: int, created: datetime, **fields: object) -> None:
    ids = [h.pk for h in BankHashFactory.create_batch(count)]
    BankHash.objects.filter(pk__in=ids).update(created_at=created, **fields)


def reported(partner, received: datetime) -> None:  # type: ignore[no-untyped-def]
    MatchReport.objects.filter(pk=report_for(partner, BankHashFactory()).pk).update(received_at=received)


def item(state: str, opened: datetime, decided: datetime | None = None) -> ReviewItem:
    made = ReviewItem.objects.create(bank_hash=BankHashFactory(), state=state)
    ReviewItem.objects.filter(pk=made.pk).update(opened_at=opened, decided_at=decided)
    return made


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("senior_moderator", 200), ("moderator", 403), ("caseworker", 403), (None, 403)],
)
def test_admins_and_senior_moderators_see_the_metrics(role, status):
    assert signed_in(UserFactory(role=role)).get(URL).status_code == status


def test_staff_tied_to_one_partner_do_not_see_hub_wide_figures():
    senior = UserFactory(role="senior_moderator", partner=PartnerFactory())
    assert signed_in(senior).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_nav_links_the_page_for_those_who_may_see_it():
    assert f'href="{URL}"' in signed_in(UserFactory(role="senior_moderator")).get("/dashboard/").content.decode()
    assert f'href="{URL}"' not in signed_in(UserFactory(role="moderator")).get("/dashboard/").content.decode()


# --- the page ---------------------------------------------------------------------------------


def page_of(client) -> str:  # type: ignore[no-untyped-def]
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_an_empty_hub_renders_with_zeros_and_no_inline_script_or_style():
    page = page_of(signed_in(UserFactory(role="admin")))
    data = json.loads(re.search(r'<script id="metrics-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert data["hashes"]["now"] == 0 and data["reveals"]["labels"] == []
    assert data["decision_times"]["overall"] == {"p50": None, "p90": None, "n": 0, "sampled": False}
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page and not re.search(r"\son[a-z]+=", page)
    assert "vendor/chart.js/chart.umd.min.js" in page and "js/metrics.js" in page
    assert page.count("<canvas") == 7


def test_the_page_shows_the_figures_in_charts_data_and_tables():
    bank_hashes(3, created=ago(days=2))
    moderator = UserFactory(username="mira")
    for n in range(2):
        audit_record_atomic(actor=Actor.user(moderator), action=IMAGE_REVEALED, object_type="x", object_id=n)
    page = page_of(signed_in(UserFactory(role="admin")))
    assert "<strong>3</strong>hashes protected now" in page
    assert '<td>mira</td><td class="num">2</td>' in page


def test_the_page_costs_the_same_queries_with_more_data():
    client = signed_in(UserFactory(role="admin"))
    empty = query_count(lambda: client.get(URL))
    metrics.metrics_cache_clear()
    partner = PartnerFactory()
    for days in (1, 10, 100):
        report_for(partner, BankHashFactory())
        item("confirmed", ago(days=days), ago(days=days - 0.5))
        item("pending", ago(days=days))
    assert query_count(lambda: client.get(URL)) == empty


def test_the_figures_are_cached_per_process(settings, django_assert_num_queries):
    settings.NCII_METRICS_CACHE_SECONDS = 60
    first = metrics_get()
    with django_assert_num_queries(0):
        assert metrics_get() is first
    settings.NCII_METRICS_CACHE_SECONDS = 0
    assert metrics_get() is not first


# --- the figures --------------------------------------------------------------------------------


def test_weeks_start_on_monday_utc_and_end_with_this_one():
    weeks = week_starts(NOW, 3)
    assert weeks == [THIS_WEEK - timedelta(weeks=2), THIS_WEEK - timedelta(weeks=1), THIS_WEEK]


def test_hashes_protected_counts_additions_less_withdrawals_and_the_years_growth():
    bank_hashes(4, created=ago(days=400))
    bank_hashes(1, created=ago(days=400), status="Withdrawn", modified_at=ago(days=3))
    bank_hashes(2, created=ago(days=10))
    figure = metrics_compute(NOW).figures["hashes"]

    assert (figure["year_ago"], figure["now"], figure["growth"], figure["growth_pct"]) == (5, 6, 1, 20.0)
    assert figure["protected"][-1] == BankHash.objects.filter(status="Active").count() == 6
    assert sum(figure["added"]) == 2 and sum(figure["withdrawn"]) == 1
    assert len(figure["labels"]) == 52 and figure["labels"][-1] == "2026-11-23"


def test_cases_created_per_week():
    for n, days in enumerate((0, 1, 8, 400)):
        case = Case.objects.create(number=f"N{n}", reference=f"R{n}", pin_hash="x")
        Case.objects.filter(pk=case.pk).update(created_at=ago(days=days))
    figure = metrics_compute(NOW).figures["cases"]
    assert figure["created"][-2:] == [1, 2] and figure["total"] == 3


def test_reports_per_partner_per_week_keep_the_busiest_and_sum_the_rest(monkeypatch):
    monkeypatch.setattr(metrics, "TOP_PARTNERS", 2)
    partners = [PartnerFactory(display_name=name) for name in ("Big", "Mid", "Small", "Tiny")]
    for partner, count in zip(partners, (3, 2, 1, 1), strict=True):
        for _ in range(count):
            reported(partner, ago(days=1))
    reported(partners[0], ago(days=8))
    reported(partners[3], ago(weeks=13))  # before the 12 weeks

    figure = metrics_compute(NOW).figures["reports"]
    assert [(s["label"], s["data"][-2:]) for s in figure["series"]] == [
        ("Big", [1, 3]),
        ("Mid", [0, 2]),
        ("2 other partners", [0, 2]),
    ]
    assert figure["total"] == 8


def test_outcomes_and_time_to_decision_per_week():
    for hours in (1, 2, 3, 4):
        item("confirmed", ago(days=1, hours=hours), ago(days=1))
    item("dismissed", ago(days=9, hours=10), ago(days=9))
    item("pending", ago(days=1))
    item("confirmed", ago(days=200), ago(days=199))  # outside the 12 weeks

    figures = metrics_compute(NOW).figures
    assert figures["outcomes"]["confirmed"][-2:] == [0, 4] and figures["outcomes"]["dismissed"][-2:] == [1, 0]
    assert figures["outcomes"]["totals"] == {"confirmed": 4, "dismissed": 1}
    times = figures["decision_times"]
    assert (times["p50"][-1], times["p90"][-1]) == (2.5, 3.7)
    assert (times["p50"][-2], times["p90"][-2]) == (10.0, 10.0)
    assert times["p50"][0] is None
    assert times["overall"] == {"p50": 3.0, "p90": 7.6, "n": 5, "sampled": False}


def test_percentile_interpolates_like_postgres_percentile_cont():
    assert percentile([4, 1, 3, 2], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([5], 0.9) == 5


def test_backlog_ages_in_buckets_with_the_oldest_per_state():
    for hours in (0.5, 5, 30, 24 * 10, 24 * 40):
        item("pending", ago(hours=hours))
    item("escalated", ago(hours=3))
    item("confirmed", ago(days=90), ago(days=89))

    figure = metrics_compute(NOW).figures["backlog"]
    assert figure["pending"] == [1, 1, 1, 1, 1] and figure["escalated"] == [0, 1, 0, 0, 0]
    assert (figure["pending_count"], figure["escalated_count"]) == (5, 1)
    assert (figure["pending_oldest_hours"], figure["pending_oldest_days"]) == (960.0, 40.0)
    assert figure["escalated_oldest_hours"] == 3.0


def test_reveals_per_moderator_over_the_last_30_days(monkeypatch):
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    for user, count in ((ann, 1), (ben, 3)):
        for n in range(count):
            audit_record_atomic(actor=Actor.user(user), action=IMAGE_REVEALED, object_type="x", object_id=n)
    audit_record_atomic(actor=Actor.user(ann), action=ITEM_CONFIRM, object_type="x", object_id=1)
    figure = metrics_compute(datetime.now(UTC)).figures["reveals"]
    assert (figure["labels"], figure["values"]) == (["ben", "ann"], [3, 1])
    assert metrics_compute(datetime.now(UTC) + timedelta(days=31)).figures["reveals"]["values"] == []


@pytest.mark.postgres
def test_postgres_percentile_cont_agrees_with_the_python_fallback(monkeypatch):
    for hours in (1, 2, 3, 4, 11):
        item("confirmed", ago(days=1, hours=hours), ago(days=1))
    in_sql = metrics_compute(NOW).figures["decision_times"]
    monkeypatch.setattr(metrics.connection, "vendor", "sqlite")
    assert metrics_compute(NOW).figures["decision_times"] == in_sql
    assert (in_sql["p50"][-1], in_sql["overall"]["n"]) == (3.0, 5)
