"""`seed_demo` as a newcomer meets it: a year of history behind every chart, every feature on
show without an API call, its logins as a table and a partner key that works."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from cases.models import Case, CaseHash, CaseNote
from cases.selectors import disputed_hash_list
from hub.metrics import metrics_compute
from matching.audit_events import IMAGE_PURGED, REPORT_FAILED
from matching.models import BankHash, MatchReport
from moderation.audit_events import IMAGE_REVEALED, ITEM_DISMISS, ITEM_ESCALATE, ITEM_REOPEN
from moderation.models import OPEN_STATES, QaReview, QaState, ReviewItem, ReviewState
from moderation.qa_selectors import qa_agreement
from ncii_site.celery import app as celery_app
from ncii_site.roles import ROLE_PERMISSIONS
from partners.models import Partner, PartnerKey, PartnerUsage
from tests.staff_helpers import signed_in

HASHERS = [  # the tests' fast one, and the standard one the printed case PIN must verify with
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """One year of demo history for the whole module (seeding it takes seconds), committed as
    `make run` commits it, and flushed afterwards. Each test reads it inside its own
    transaction (the ``db`` fixture), so what a test writes is rolled back."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    out = StringIO()
    try:
        with django_db_blocker.unblock(), override_settings(NCII_INDEX_REFRESH_SECONDS=1.0, PASSWORD_HASHERS=HASHERS):
            call_command("seed_demo", "--allow-nonlocal", stdout=out)
        yield out.getvalue()
    finally:
        celery_app.conf.task_always_eager = eager
        with django_db_blocker.unblock():
            call_command("flush", "--noinput")


def weeks_with(values: list[int]) -> int:
    return sum(1 for value in values if value)


def test_a_year_of_history_fills_every_chart(seeded, db):
    figures = metrics_compute().figures
    assert weeks_with(figures["cases"]["created"]) >= 40  # of 52
    hashes = figures["hashes"]
    assert hashes["growth"] > 200 and weeks_with(hashes["added"]) >= 40 and weeks_with(hashes["withdrawn"]) >= 3
    reports = figures["reports"]["series"]
    assert {series["label"] for series in reports} == {"PhotoShare", "ClipHub", "ChatSpace"}
    assert all(weeks_with(series["data"]) >= 6 for series in reports)  # of the last 12
    outcomes = figures["outcomes"]
    assert weeks_with([c + d for c, d in zip(outcomes["confirmed"], outcomes["dismissed"], strict=True)]) >= 10
    assert figures["decision_times"]["overall"]["n"] >= 50
    assert len(figures["reveals"]["labels"]) >= 2
    decided = ReviewItem.objects.filter(decided_at__isnull=False)
    assert decided.annotate(week=TruncWeek("decided_at")).values("week").distinct().count() >= 40


def test_sampled_decisions_had_their_second_review(seeded, db):
    """The seed runs at the default sampling rate (5%): the metrics page has agreement figures."""
    assert QaReview.objects.count() >= 3
    assert QaReview.objects.exclude(state=QaState.WAITING).exists()
    overall = qa_agreement(per_moderator=True)["overall"][0]
    assert overall.reviewed >= 1 and overall.agreed <= overall.reviewed


def test_the_audit_trail_runs_through_the_year_in_order(seeded, db):
    assert audit_chain_verify()[1] is None
    times = list(AuditEvent.objects.order_by("seq").values_list("created_at", flat=True))
    assert times == sorted(times)
    assert times[-1] - times[0] > timedelta(weeks=51)


def test_the_queue_has_todays_work_overdue_items_and_review_images(seeded, db, settings):
    now = timezone.now()
    open_items = ReviewItem.objects.filter(state__in=OPEN_STATES)
    overdue = open_items.filter(opened_at__lt=now - timedelta(seconds=settings.NCII_SLA_TARGET_SECONDS))
    assert overdue.count() >= 2 and open_items.filter(opened_at__gte=now - timedelta(days=1)).exists()
    assert open_items.filter(state=ReviewState.ESCALATED).exists()
    assert set(ReviewItem.objects.values_list("state", flat=True)) == set(ReviewState.values)
    with_images = open_items.filter(memberships__report__review_images__isnull=False).distinct()
    assert with_images.count() >= 4
    assert open_items.filter(has_hash_mismatch=True).exists() and MatchReport.objects.filter(low_quality=True).exists()
    assert ReviewItem.objects.filter(partner_count__gte=2).exists()
    assert ReviewItem.objects.filter(claimed_by__isnull=False).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {ITEM_ESCALATE, ITEM_REOPEN, IMAGE_REVEALED, IMAGE_PURGED, REPORT_FAILED} <= actions
    assert AuditEvent.objects.filter(action=ITEM_DISMISS, after__bulk=True).count() >= 3


def test_casework_partners_and_the_exchange_have_their_history(seeded, db):
    assert disputed_hash_list().count() >= 2
    assert MatchReport.objects.filter(status=MatchReport.Status.FAILED).count() == 2
    assert MatchReport.objects.filter(channel=MatchReport.Channel.EXCHANGE).exists()
    assert BankHash.objects.filter(cluster__isnull=False).count() >= 3
    assert set(BankHash.objects.values_list("source", flat=True)) == set(BankHash.Source.values)
    assert Case.objects.filter(source=Case.Source.HELPLINE).exists() and CaseNote.objects.count() >= 5
    assert Case.objects.filter(status=Case.Status.WITHDRAWN).count() >= 3
    assert CaseHash.objects.filter(withdrawn_at__isnull=False).exists()
    assert Partner.objects.filter(status=Partner.Status.SUSPENDED).exists()
    assert PartnerKey.objects.filter(revoked_at__isnull=False).exists()
    assert PartnerKey.objects.filter(expires_at__gt=timezone.now(), revoked_at__isnull=True).exists()  # in overlap
    recent = PartnerUsage.objects.filter(day__gte=timezone.now().date() - timedelta(days=30))
    assert recent.values("partner").annotate(n=Count("pk")).filter(n__gte=30).count() == 3


def test_the_logins_are_a_table_and_the_printed_key_and_case_work(seeded, db, settings):
    settings.PASSWORD_HASHERS = HASHERS
    lines = seeded.splitlines()
    heading = next(i for i, line in enumerate(lines) if re.fullmatch(r"\s*login\s+role\s+what to try", line))
    logins = [line.split()[0] for line in lines[heading + 2 : heading + 8]]
    assert logins == ["moderator", "senior", "photoshare_mod", "caseworker", "childsafety", "admin"]
    key = re.search(r"Bearer (\S+?)\"", seeded).group(1)
    match_path = re.search(r"curl -s http://127\.0\.0\.1:8000(/api/v1/matches/\d+) ", seeded).group(1)
    answer = Client().get(match_path, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 200 and answer.json()["status"] == "processed"
    number, pin = re.search(r"case number (\S+) and PIN (\d{8})", seeded).groups()
    check = Client().post("/cases/check/", {"number": number, "pin": pin})
    assert check.status_code == 200 and 'id="case-status"' in check.content.decode()


def test_every_role_finds_its_pages_full(seeded, db):
    users = get_user_model().objects
    moderator = signed_in(users.get(username="moderator"))
    item = ReviewItem.objects.filter(state=ReviewState.PENDING, memberships__report__review_images__isnull=False)
    item = item.exclude(memberships__report__partner__name="photoshare").first()
    report = item.memberships.filter(report__review_images__isnull=False).first().report
    assert moderator.get("/dashboard/").status_code == 200
    assert moderator.get(f"/dashboard/items/{item.pk}/").status_code == 200
    image = moderator.get(f"/dashboard/items/{item.pk}/reports/{report.pk}/image")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert signed_in(users.get(username="senior")).get("/dashboard/metrics/").status_code == 200
    caseworker = signed_in(users.get(username="caseworker"))
    number = re.search(r"find case (\S+),", seeded).group(1)
    case_page = caseworker.post("/dashboard/cases/", {"number": number}, follow=True)
    assert case_page.status_code == 200 and Case.objects.get(number=number).notes.count() >= 2
    assert caseworker.get("/dashboard/cases/disputed/").status_code == 200


def test_the_demo_admin_is_an_admin_role_user_not_a_superuser(seeded, db):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and not admin.is_superuser
    client = signed_in(admin)
    assert client.get("/admin/").status_code == 200
    partner = Partner.objects.get(name="cliphub")
    assert client.get(f"/dashboard/partners/{partner.pk}/").status_code == 200
    item = ReviewItem.objects.filter(state=ReviewState.PENDING).first()
    assert client.get(f"/dashboard/items/{item.pk}/").status_code in (403, 404)
    case = Case.objects.first()
    assert client.get(f"/dashboard/cases/{case.pk}/").status_code in (403, 404)


def test_seed_demo_loads_every_role_and_every_state_with_an_intact_chain(seeded, db):
    out = seeded
    assert "demo-password-2026" in out and "photoshare_mod" in out
    users = get_user_model().objects
    for role in ROLE_PERMISSIONS:
        assert users.filter(groups__name=role).exists(), role
    assert set(ReviewItem.objects.values_list("state", flat=True)) == set(ReviewState.values)
    assert audit_chain_verify()[1] is None
    again = StringIO()
    call_command("seed_demo", "--allow-nonlocal", stdout=again)
    assert "already loaded" in again.getvalue()


def test_demo_moderator_can_log_in_and_is_asked_to_set_up_two_factor(seeded, db):
    response = Client().post(
        "/accounts/login/", {"username": "moderator", "password": "demo-password-2026"}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith("/accounts/2fa/setup/")
    assert "Set up two-factor sign-in" in response.content.decode()


def test_the_demo_has_a_protected_video_and_a_pending_video_report(seeded, db):
    report = MatchReport.objects.get(signal_type="VideoPDQ")
    assert (report.partner.name, report.outcome) == ("cliphub", "pending")
    assert report.video_query_pct is not None and report.video_query_pct >= 80.0
    assert Partner.objects.get(name="cliphub").receives_video_pdq
    keyframes = report.review_images.order_by("position")
    assert [(k.position, k.claim_distance <= 31) for k in keyframes] == [(0, True), (1, True), (2, True)]
    assert report.hash_mismatch is False and report.image_refused == ""
