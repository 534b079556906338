"""The moderator dashboard: access, the queues and review next."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.audit_events import ITEM_CLAIMED
from moderation.models import ReviewItem, ReviewState
from tests.dashboard_helpers import ESCALATIONS, NEXT, QUEUE, audit_count, decide, item_url, pending_item, set_state
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import HTMX, signed_in


@pytest.fixture
def item(db) -> ReviewItem:
    return pending_item()


# --- access -------------------------------------------------------------------------------


def test_home_page_is_public_and_links_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


@pytest.mark.parametrize(
    ("role", "start"),
    [("moderator", "/dashboard/"), ("caseworker", "/dashboard/cases/"), ("admin", "/dashboard/partners/")],
)
def test_the_dashboard_address_opens_each_role_on_its_own_first_page(db, role, start):
    """/dashboard/ (what the demo prints and the sign-in's usual next) is the queue for
    moderators and each other role's first tool for the rest, never a 403."""
    client = signed_in(UserFactory(role=role))
    response = client.get(QUEUE, follow=True)
    assert response.status_code == 200 and response.request["PATH_INFO"] == start
    assert client.get("/").url == start


def test_the_dashboard_address_is_still_refused_to_staff_with_no_tool(db):
    assert signed_in(UserFactory()).get(QUEUE).status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
def test_dashboard_pages_need_sign_in(client, item, method):
    for url in (QUEUE, ESCALATIONS, NEXT, item_url(item)):
        response = getattr(client, method)(url)
        if response.status_code == 405:  # GET on "next", POST on the lists
            continue
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next=")


def test_htmx_request_after_the_session_ended_moves_the_whole_page_to_sign_in(client, db):
    response = client.get(QUEUE, HTTP_HX_CURRENT_URL="http://testserver/dashboard/?state=", **HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith(reverse("login") + "?next=")


def test_staff_without_review_permission_get_403(item):
    caseworker = signed_in(UserFactory(role="caseworker"))
    assert caseworker.get(QUEUE).url == "/dashboard/cases/"  # their own first page, never the queue
    assert caseworker.get(ESCALATIONS).status_code == 403
    assert caseworker.get(item_url(item)).status_code == 403
    before = audit_count()
    assert caseworker.post(NEXT).status_code == 403
    assert decide(caseworker, item, "confirm").status_code == 403
    assert audit_count() == before


def test_layout_carries_csrf_header_htmx_and_role_navigation(mod_client, senior_client):
    page = mod_client.get(QUEUE).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "django_htmx/htmx-2.min.js" in page
    assert 'action="/accounts/logout/"' in page
    assert ESCALATIONS not in page
    assert ESCALATIONS in senior_client.get(QUEUE).content.decode()


# --- the queue ----------------------------------------------------------------------------


def test_queue_lists_pending_items_with_counts(mod_client):
    a, b = PartnerFactory(), PartnerFactory()
    pending = item_open(a, b)
    escalated = set_state(item_open(a), ReviewState.ESCALATED)
    set_state(item_open(b), ReviewState.CONFIRMED)

    response = mod_client.get(QUEUE)

    assert response.status_code == 200
    assert [i.pk for i in response.context["page"]] == [pending.pk]
    counts = {"pending": 1, "escalated": 1, "confirmed": 1, "dismissed": 0}
    assert response.context["counts"] == counts
    page = response.content.decode()
    assert f'href="{item_url(pending)}"' in page
    assert f'href="{item_url(escalated)}"' not in page


def test_queue_row_shows_the_active_claim_holder(mod_client, moderator):
    item = item_open(PartnerFactory())
    ReviewItem.objects.filter(pk=item.pk).update(
        claimed_by=moderator, claim_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert "<td>mod</td>" in mod_client.get(QUEUE).content.decode()
    expired = timezone.now() - timedelta(seconds=1)
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=expired)
    assert "<td>mod</td>" not in mod_client.get(QUEUE).content.decode()


def listed(client: Client, **params) -> list[int]:
    return [i.pk for i in client.get(QUEUE, params).context["page"]]


def test_queue_filters_by_state(mod_client):
    pending = item_open(PartnerFactory())
    escalated = set_state(item_open(PartnerFactory()), ReviewState.ESCALATED)
    assert listed(mod_client, state="escalated") == [escalated.pk]
    assert sorted(listed(mod_client, state="")) == sorted([pending.pk, escalated.pk])
    assert listed(mod_client, state="nonsense") == [pending.pk]  # falls back to pending


def test_queue_filters_by_partner(mod_client):
    a, b = PartnerFactory(), PartnerFactory()
    only_a, both, only_b = item_open(a), item_open(a, b), item_open(b)
    assert sorted(listed(mod_client, partner=a.pk)) == sorted([only_a.pk, both.pk])
    assert sorted(listed(mod_client, partner=b.pk)) == sorted([both.pk, only_b.pk])


def test_queue_filters_by_age(mod_client):
    partner = PartnerFactory()
    fresh, day_old, old = item_open(partner), item_open(partner), item_open(partner)
    now = timezone.now()
    ReviewItem.objects.filter(pk=day_old.pk).update(opened_at=now - timedelta(hours=5))
    ReviewItem.objects.filter(pk=old.pk).update(opened_at=now - timedelta(days=8))
    assert listed(mod_client, age="1h") == [fresh.pk]
    assert sorted(listed(mod_client, age="24h")) == sorted([fresh.pk, day_old.pk])
    assert listed(mod_client, age="older") == [old.pk]


def test_queue_paginates_and_keeps_the_filters(mod_client, settings):
    settings.NCII_QUEUE_PAGE_SIZE = 2
    partner = PartnerFactory()
    items = [item_open(partner) for _ in range(5)]
    first = mod_client.get(QUEUE, {"partner": partner.pk})
    assert [i.pk for i in first.context["page"]] == [i.pk for i in items[:2]]
    assert f"?partner={partner.pk}&amp;page=2" in first.content.decode()
    last = mod_client.get(QUEUE, {"partner": partner.pk, "page": 3})
    assert [i.pk for i in last.context["page"]] == [items[4].pk]
    assert f"?partner={partner.pk}&amp;page=2" in last.content.decode()


def test_htmx_filter_request_gets_only_the_list_fragment(mod_client):
    item_open(PartnerFactory())
    response = mod_client.get(QUEUE, {"state": "pending"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="item-list"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_whole_page(mod_client):
    response = mod_client.get(QUEUE, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def test_filter_form_works_without_javascript(mod_client):
    page = mod_client.get(QUEUE).content.decode()
    assert f'method="get" action="{QUEUE}"' in page
    assert f'hx-get="{QUEUE}"' in page
    assert 'hx-push-url="true"' in page


@pytest.mark.parametrize("htmx", [False, True])
def test_queue_query_count_does_not_grow_with_items(mod_client, moderator, htmx):
    extra = HTMX if htmx else {}
    partner = PartnerFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert mod_client.get(QUEUE, **extra).status_code == 200
        return len(captured)

    def claim_all() -> None:  # so each row shows its claim holder
        later = timezone.now() + timedelta(hours=1)
        ReviewItem.objects.update(claimed_by=moderator, claim_expires_at=later)

    item_open(partner)
    claim_all()
    one = queries()
    for _ in range(19):
        item_open(partner)
    claim_all()
    assert queries() == one


def test_partner_scoped_moderator_sees_only_their_partner_in_the_queue(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    shared, own, foreign = item_open(ours, theirs), item_open(ours), item_open(theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    response = client.get(QUEUE)
    assert sorted(i.pk for i in response.context["page"]) == sorted([shared.pk, own.pk])
    assert response.context["counts"]["pending"] == 2
    assert f'<option value="{ours.pk}">{ours.display_name}</option>' in response.content.decode()
    assert f'<option value="{theirs.pk}">{theirs.display_name}</option>' not in response.content.decode()
    assert foreign.pk not in listed(client, partner=theirs.pk)


# --- review next --------------------------------------------------------------------------


def test_review_next_claims_and_opens_the_item(mod_client, moderator, item):
    response = mod_client.post(NEXT)
    assert response.status_code == 302
    assert response.url == item_url(item)
    item.refresh_from_db()
    assert item.claimed_by == moderator
    assert AuditEvent.objects.filter(action=ITEM_CLAIMED, actor_user=moderator).count() == 1
    page = mod_client.get(item_url(item)).content.decode()
    assert "Yours for" in page and "Keep it longer" in page


def test_two_moderators_get_different_items(mod_client):
    partner = PartnerFactory()
    first, second = item_open(partner), item_open(partner)
    other = signed_in(UserFactory(role="moderator"))
    urls = {mod_client.post(NEXT).url, other.post(NEXT).url}
    assert urls == {item_url(first), item_url(second)}


def test_review_next_with_nothing_waiting_says_so(mod_client):
    response = mod_client.post(NEXT, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "No items waiting" in response.content.decode()


def test_review_next_is_post_only_and_knows_its_queues(mod_client):
    assert mod_client.get(NEXT).status_code == 405
    assert mod_client.post(NEXT, {"queue": "confirmed"}).status_code == 400


def test_escalated_queue_is_for_seniors(mod_client, senior_client, senior):
    escalated = set_state(item_open(PartnerFactory()), ReviewState.ESCALATED)
    item_open(PartnerFactory())
    assert mod_client.get(ESCALATIONS).status_code == 403
    assert mod_client.post(NEXT, {"queue": "escalated"}).status_code == 403

    response = senior_client.get(ESCALATIONS)
    assert [i.pk for i in response.context["page"]] == [escalated.pk]
    assert 'name="queue" value="escalated"' in response.content.decode()
    assert senior_client.post(NEXT, {"queue": "escalated"}).url == item_url(escalated)
    escalated.refresh_from_db()
    assert escalated.claimed_by == senior
