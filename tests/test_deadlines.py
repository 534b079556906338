"""Decision deadlines: time left on the queue and item pages, the queue's deadline sort, and
the on-call digest (Django's locmem email backend, time-machine), at most one per interval,
remembered in the database so it holds across processes and a cache outage changes nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from moderation.deadlines import deadline_alerts_send, deadline_summary
from moderation.models import DeadlineDigest, ReviewItem
from moderation.services import review_decide
from moderation.tasks import deadline_alerts_task
from ncii_site.templatetags.durations import time_left
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.redis_server import free_port
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def oncall(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NCII_ONCALL_EMAILS = ["oncall@example.org", "lead@example.org"]
    settings.NCII_DECISION_DEADLINE_SECONDS = 48 * 3600
    settings.NCII_DEADLINE_WARN_SECONDS = 12 * 3600
    settings.NCII_ALERT_EVERY_SECONDS = 3600
    settings.NCII_SITE_URL = "https://hub.example.org"


def _opened_at(when: datetime) -> ReviewItem:
    with time_machine.travel(when, tick=False):
        return item_open(PartnerFactory())


def test_time_left_reads_as_people_do():
    assert time_left(T0 + timedelta(hours=5, minutes=12), T0) == "5.2 hours left"
    assert time_left(T0 - timedelta(hours=3), T0) == "3 hours overdue"
    assert time_left(T0 + timedelta(days=2, hours=12), T0) == "2.5 days left"


def test_queue_and_item_pages_show_the_deadline(settings, moderator):
    settings.NCII_DECISION_DEADLINE_SECONDS = 48 * 3600
    item = _opened_at(T0)
    with time_machine.travel(T0 + timedelta(hours=40), tick=False):
        client = signed_in(moderator)  # sessions end after a while: sign in at each time
        queue = client.get("/dashboard/").content.decode()
        page = client.get(f"/dashboard/items/{item.pk}/").content.decode()
    assert "8 hours left" in queue
    assert "2026-05-06 08:00 UTC" in page and "8 hours left" in page
    with time_machine.travel(T0 + timedelta(hours=50), tick=False):
        assert "2 hours overdue" in signed_in(moderator).get("/dashboard/").content.decode()


def test_the_queue_sorts_by_nearest_deadline(moderator):
    newer, older = _opened_at(T0), _opened_at(T0 - timedelta(hours=5))
    ReviewItem.objects.filter(pk=newer.pk).update(priority=9)  # first by priority
    html = signed_in(moderator).get("/dashboard/", {"sort": "deadline"}).content.decode()
    assert html.index(f">#{older.pk}<") < html.index(f">#{newer.pk}<")


def test_digest_lists_items_near_and_past_the_deadline(oncall):
    overdue = _opened_at(T0 - timedelta(hours=50))
    soon = _opened_at(T0 - timedelta(hours=40))
    _opened_at(T0 - timedelta(hours=10))  # 38 h left: not yet
    decided = _opened_at(T0 - timedelta(hours=60))
    review_decide(
        moderator=UserFactory(role="senior_moderator"),
        item_id=decided.pk,
        decision="confirm",
        reason_code="matches_bank",
    )
    with time_machine.travel(T0, tick=False):
        assert deadline_alerts_task() is True
    (message,) = mail.outbox
    assert message.to == ["oncall@example.org", "lead@example.org"]
    assert "1 item(s) past the decision deadline, 1 due within 12 h" in message.subject
    assert f"https://hub.example.org/dashboard/items/{overdue.pk}/" in message.body
    assert f"https://hub.example.org/dashboard/items/{soon.pk}/" in message.body
    assert f"/items/{decided.pk}/" not in message.body
    assert not message.attachments
    digest = DeadlineDigest.objects.get()
    assert (digest.overdue, digest.approaching) == (1, 1)


def test_at_most_one_digest_per_interval(oncall):
    _opened_at(T0 - timedelta(hours=50))
    with time_machine.travel(T0, tick=False):
        assert deadline_alerts_send() is not None
    with time_machine.travel(T0 + timedelta(minutes=59), tick=False):
        assert deadline_alerts_send() is None
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        assert deadline_alerts_send() is not None
    assert len(mail.outbox) == 2


def test_no_digest_when_nothing_is_due_or_nobody_is_on_call(oncall, settings):
    _opened_at(T0 - timedelta(hours=1))
    with time_machine.travel(T0, tick=False):
        assert deadline_alerts_send() is None
    _opened_at(T0 - timedelta(hours=47))
    settings.NCII_ONCALL_EMAILS = []
    with time_machine.travel(T0, tick=False):
        assert deadline_alerts_send() is None
    assert not mail.outbox and not DeadlineDigest.objects.exists()


def test_a_cache_outage_does_not_stop_the_digest(oncall, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    _opened_at(T0 - timedelta(hours=50))
    with time_machine.travel(T0, tick=False):
        assert deadline_alerts_task() is True
    assert len(mail.outbox) == 1


def test_summary_counts_past_the_listed_links(oncall):
    for hours in range(50, 53):
        _opened_at(T0 - timedelta(hours=hours))
    summary = deadline_summary(T0)
    assert (summary.overdue_count, summary.approaching_count, len(summary.overdue)) == (3, 0, 3)


def test_two_processes_in_the_same_interval_send_one_digest(oncall, settings):
    """Another process's row for this interval, written after our check: the database refuses
    our row (unique slot), and we send nothing."""
    _opened_at(T0 - timedelta(hours=50))
    slot = int(T0.timestamp()) // settings.NCII_ALERT_EVERY_SECONDS
    settings.NCII_ALERT_EVERY_SECONDS = 3600
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        DeadlineDigest.objects.create(sent_at=T0 - timedelta(hours=2), slot=slot, overdue=1, approaching=0)
        assert deadline_alerts_send() is None
    assert not mail.outbox
