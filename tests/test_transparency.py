"""The public transparency page: figures by quarter from the daily rollup, small counts
suppressed (and shares or medians over them withheld), the same figures as CSV, no login, in
every public language, linked from the public footer, and no 500 when the cache is down."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from hub.models import MetricsDay
from hub.rollups import BUILT, metrics_rollup_build
from hub.transparency import figures_compute, quarter_starts
from tests.test_cache_outage import cache_down  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 20)  # 2026 Q4


def rollup(day: date, series: str, count: int, key: str = "") -> None:
    MetricsDay.objects.create(day=day, series=series, key=key, count=count)


@pytest.fixture
def figures_in_rollup():  # type: ignore[no-untyped-def]
    """2026 Q3: plenty of everything. 2026 Q2: few cases and few confirmations."""
    cache.clear()
    rollup(TODAY, BUILT, 0)
    q3, q2 = date(2026, 8, 3), date(2026, 5, 4)
    for series, count in [("bank.added", 340), ("cases.created", 120), ("cases.withdrawn", 12)]:
        rollup(q3, series, count)
    for partner, count in [("1", 30), ("2", 25), ("3", 5)]:
        rollup(q3, "reports.received", count, partner)
    rollup(q3, "items.decided", 40, "confirmed")
    rollup(q3, "items.decided", 10, "dismissed")
    for bucket in (400, 450, 500):  # log1p(seconds) * 50: about 0.8 h, 2.3 h, 6.1 h
        rollup(q3, "decisions.bucket", 5 if bucket != 450 else 40, str(bucket))
    rollup(q2, "cases.created", 7)
    rollup(q2, "bank.added", 15)
    rollup(q2, "items.decided", 4, "confirmed")
    rollup(q2, "items.decided", 20, "dismissed")
    rollup(q2, "decisions.bucket", 24, "450")


def at_today():  # type: ignore[no-untyped-def]
    return time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)


def test_quarters_run_back_two_years():
    starts = quarter_starts(TODAY)
    assert starts[0] == date(2026, 10, 1) and starts[-1] == date(2025, 1, 1) and len(starts) == 8


def test_counts_shares_and_the_median_by_quarter(figures_in_rollup):
    with at_today():
        figures = figures_compute()

    q3 = next(q for q in figures.quarters if q.label == "2026 Q3").cells
    values = {name: cell.value for name, cell in q3.items()}
    assert values["hashes"] == 340 and values["cases"] == 120 and values["withdrawals"] == 12
    assert values["reports"] == 60 and values["partners"] is None  # 3 partners: fewer than 10
    assert values["decided"] == 50 and (values["confirmed_share"], values["dismissed_share"]) == (80.0, 20.0)
    assert 2.1 < values["median_hours"] < 2.4


def test_small_counts_and_shares_over_them_are_suppressed(figures_in_rollup):
    with at_today():
        q2 = next(q for q in figures_compute().quarters if q.label == "2026 Q2").cells

    assert q2["cases"].suppressed and q2["cases"].value is None  # 7
    assert q2["hashes"].value == 15
    assert q2["decided"].value == 24
    assert q2["confirmed_share"].suppressed  # 4 confirmed: its share would tell the count
    assert q2["dismissed_share"].value == 83.3
    assert not q2["median_hours"].suppressed


def test_the_page_shows_fewer_than_and_withheld_and_needs_no_login(client, figures_in_rollup):
    with at_today():
        body = client.get("/transparency/").content.decode()

    assert "fewer than 10" in body and "withheld" in body
    assert "80" in body and "340" in body
    assert "7</td>" not in body and ">4<" not in body
    assert 'href="/transparency/figures.csv"' in body


def test_the_csv_has_the_same_figures(client, figures_in_rollup):
    with at_today():
        response = client.get("/transparency/figures.csv")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    q3 = next(r for r in rows if r["quarter"] == "2026 Q3")
    q2 = next(r for r in rows if r["quarter"] == "2026 Q2")
    assert (q3["hashes"], q3["reports"], q3["partners"], q3["confirmed_share"]) == ("340", "60", "fewer than 10", "80")
    assert (q2["cases"], q2["confirmed_share"], q2["dismissed_share"]) == ("fewer than 10", "withheld", "83.3")
    assert len(rows) == 8


def test_the_page_is_in_every_public_language_and_in_the_footer(client, figures_in_rollup):
    with at_today():
        spanish = client.get("/es/transparency/").content.decode()
        arabic = client.get("/ar/transparency/").content.decode()
        home = client.get("/").content.decode()

    assert 'lang="es"' in spanish and "menos de 10" in spanish and "2026 T3" in spanish
    assert 'dir="rtl"' in arabic and "الربع 3 من 2026" in arabic
    assert 'href="/transparency/"' in home


def test_without_a_rollup_the_page_says_the_figures_are_not_ready(client):
    cache.clear()
    body = client.get("/transparency/").content.decode()

    assert "not ready yet" in body
    assert client.get("/transparency/figures.csv").status_code == 200


def test_a_cache_outage_does_not_break_the_page(client, figures_in_rollup, cache_down):  # noqa: F811
    with at_today():
        response = client.get("/transparency/")

    assert response.status_code == 200 and "340" in response.content.decode()


def test_the_figures_come_from_the_real_rollup(client, moderator):
    """Built from rows by metrics_rollup_build: ten cases yesterday are shown, nine are not."""
    from audit.services import Actor
    from cases.services import HashInput, case_create
    from tests.factories import random_pdq

    cache.clear()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        for _ in range(10):
            case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    metrics_rollup_build()

    quarter = figures_compute().quarters
    assert sum(q.cells["cases"].value or 0 for q in quarter) == 10
