"""The moderator dashboard: access, the queues, review next, and decisions on the item page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.models import HashFeedback
from matching.services import feedback_record
from moderation.models import ReviewItem, ReviewState
from tests.factories import PASSWORD, PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import HTMX, signed_in, totp_code, totp_device

QUEUE = reverse("moderation:queue")
ESCALATIONS = reverse("moderation:escalations")
NEXT = reverse("moderation:next")


def item_url(item: ReviewItem) -> str:
    return reverse("moderation:item", args=[item.pk])


def set_state(item: ReviewItem, state: str) -> ReviewItem:
    ReviewItem.objects.filter(pk=item.pk).update(state=state)
    item.refresh_from_db()
    return item


def decide(client: Client, item: ReviewItem, decision: str, note: str = "checked", code: str = "other", **extra):
    data = {"decision": decision, "reason_code": code, "note": note, "version": item.version}
    return client.post(item_url(item), data, **extra)


def audit_count() -> int:
    return AuditEvent.objects.count()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Many sign-ins here; the real hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mod_client(moderator) -> Client:
    return signed_in(moderator)


@pytest.fixture
def senior_client(senior) -> Client:
    return signed_in(senior)


@pytest.fixture
def item(db) -> ReviewItem:
    return item_open(PartnerFactory(display_name="Picshare"), PartnerFactory())


# --- access -------------------------------------------------------------------------------


def test_home_page_is_public_and_links_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


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
    assert caseworker.get(QUEUE).status_code == 403
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
    assert AuditEvent.objects.filter(action="item.claimed", actor_user=moderator).count() == 1
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


# --- the item page ------------------------------------------------------------------------


def test_item_page_shows_hash_reports_and_trail(mod_client, item):
    page = mod_client.get(item_url(item)).content.decode()
    assert item.bank_hash.value in page
    assert "ImagePDQ" in page
    assert "Picshare" in page
    assert "c-0" in page and "c-1" in page
    assert "report.triaged" in page and "item.opened" in page
    assert f'name="version" value="{item.version}"' in page
    for decision in ("confirm", "dismiss", "escalate"):
        assert f'value="{decision}"' in page
    assert 'value="reopen"' not in page
    assert f'hx-post="{item_url(item)}"' in page and f'action="{item_url(item)}"' in page


def test_item_page_shows_case_reference_but_never_the_case_number(mod_client):
    case, _pin = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    bank_hash = case.hash_links.get().bank_hash
    item = item_open(PartnerFactory(), bank_hash=bank_hash)
    page = mod_client.get(item_url(item)).content.decode()
    assert case.reference in page
    assert case.number not in page
    assert case.number.replace("-", "") not in page


def test_item_page_shows_prior_feedback_from_others(mod_client, item, settings):
    settings.NCII_HUB_NAME = "Test Hub"
    outsider = PartnerFactory(display_name="Outsider Video")
    for partner in (outsider, None):
        feedback_record(
            bank_hash_id=item.bank_hash_id,
            partner=partner,
            value=HashFeedback.Value.BLOCKED,
            tags=["ncii"],
            actor=Actor.system("test"),
        )
    page = mod_client.get(item_url(item)).content.decode()
    assert "Outsider Video" in page
    assert "Test Hub" in page


@pytest.mark.parametrize(
    ("decision", "state", "feedback"),
    [
        ("confirm", ReviewState.CONFIRMED, HashFeedback.Value.BLOCKED),
        ("dismiss", ReviewState.DISMISSED, HashFeedback.Value.NOT_BLOCKED),
        ("escalate", ReviewState.ESCALATED, None),
    ],
)
def test_decision_without_htmx_redirects_with_a_message(mod_client, moderator, item, decision, state, feedback):
    response = decide(mod_client, item, decision, note="matches the bank image")

    assert response.status_code == 302
    assert response.url == item_url(item)
    item.refresh_from_db()
    assert item.state == state
    event = AuditEvent.objects.get(action=f"item.{decision}")
    assert event.actor_user == moderator
    assert event.reason == "matches the bank image"
    assert event.before == {"state": "pending", "version": 1}
    assert event.after == {"state": state, "version": 2, "code": "other", "note_visibility": "internal"}
    feedbacks = HashFeedback.objects.filter(bank_hash=item.bank_hash)
    values = list(feedbacks.values_list("partner", "value"))
    assert values == ([(None, feedback)] if feedback else [])
    assert f"is now {state}" in mod_client.get(response.url).content.decode()


def test_decision_with_htmx_renders_the_panel_and_refreshes_the_trail(mod_client, moderator, item):
    response = decide(mod_client, item, "dismiss", note="different image", **HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="decision-panel"')
    assert "<html" not in body
    assert "is now dismissed" in body
    assert 'id="audit-trail" aria-labelledby="audit-heading" hx-swap-oob="true"' in body
    assert "item.dismiss" in body
    item.refresh_from_db()
    assert item.state == ReviewState.DISMISSED
    assert AuditEvent.objects.get(action="item.dismiss").actor_user == moderator
    assert HashFeedback.objects.get(bank_hash=item.bank_hash).value == "NotBlocked"
    # the success message went into the panel, not into the session for a later page
    assert "is now dismissed" not in mod_client.get(QUEUE).content.decode()


def test_partner_scoped_decision_is_that_partners_feedback(db):
    ours = PartnerFactory()
    item = item_open(ours)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    assert decide(client, item, "confirm").status_code == 302
    assert HashFeedback.objects.get(bank_hash=item.bank_hash).partner == ours


@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "htmx"])
def test_stale_version_is_refused_with_409_and_nothing_written(mod_client, senior_client, item, extra):
    assert decide(senior_client, item, "confirm").status_code == 302
    assert decide(senior_client, ReviewItem.objects.get(pk=item.pk), "reopen").status_code == 302
    before = audit_count()

    response = decide(mod_client, item, "dismiss", note="keep this text", **extra)  # version 1

    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this item" in body
    assert "keep this text" in body  # what they typed survives
    assert 'name="version" value="3"' in body  # and the form now holds what they see
    assert ("<html" in body) is not bool(extra)
    assert audit_count() == before
    item.refresh_from_db()
    assert (item.state, item.version) == (ReviewState.PENDING, 3)
    assert HashFeedback.objects.get(bank_hash=item.bank_hash).value == "Blocked"


def test_missing_reason_is_400_and_nothing_written(mod_client, item):
    before = audit_count()
    response = decide(mod_client, item, "confirm", code="", note="a note alone is not a reason")
    assert response.status_code == 400
    assert "Choose a reason code" in response.content.decode()
    assert "a note alone is not a reason" in response.content.decode()
    assert decide(mod_client, item, "confirm", code="other", note="   ").status_code == 400
    assert audit_count() == before
    item.refresh_from_db()
    assert item.state == ReviewState.PENDING


def test_incomplete_form_is_400(mod_client, item):
    before = audit_count()
    response = mod_client.post(item_url(item), {"decision": "confirm", "reason_code": "other", "note": "x"})
    assert response.status_code == 400
    unknown = {"decision": "delete", "reason_code": "other", "note": "x", "version": 1}
    assert mod_client.post(item_url(item), unknown).status_code == 400
    bad_code = {"decision": "confirm", "reason_code": "because", "version": 1}
    assert mod_client.post(item_url(item), bad_code).status_code == 400
    too_long = {"decision": "confirm", "reason_code": "other", "note": "x" * 4001, "version": 1}
    response = mod_client.post(item_url(item), too_long)
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert audit_count() == before


def test_item_claimed_by_another_moderator_is_refused(mod_client, item):
    other = signed_in(UserFactory(role="moderator"))
    other.post(NEXT)
    before = audit_count()
    response = decide(mod_client, item, "confirm")
    assert response.status_code == 409
    assert "Another moderator is reviewing" in response.content.decode()
    assert audit_count() == before


def test_moderator_cannot_decide_escalated_or_reopen(mod_client, item):
    escalated = set_state(item, ReviewState.ESCALATED)
    page = mod_client.get(item_url(escalated)).content.decode()
    assert 'value="confirm"' not in page
    assert "decided by senior moderators" in page
    before = audit_count()
    assert decide(mod_client, escalated, "confirm").status_code == 403
    assert decide(mod_client, escalated, "dismiss", **HTMX).status_code == 403

    confirmed = set_state(item, ReviewState.CONFIRMED)
    assert decide(mod_client, confirmed, "reopen").status_code == 403
    assert audit_count() == before
    confirmed.refresh_from_db()
    assert confirmed.state == ReviewState.CONFIRMED


def test_senior_decides_escalated_and_reopens(senior_client, senior, item):
    escalated = set_state(item, ReviewState.ESCALATED)
    assert 'value="escalate"' not in senior_client.get(item_url(escalated)).content.decode()
    assert decide(senior_client, escalated, "confirm").status_code == 302
    confirmed = ReviewItem.objects.get(pk=item.pk)
    assert confirmed.state == ReviewState.CONFIRMED

    page = senior_client.get(item_url(confirmed)).content.decode()
    assert 'value="reopen"' in page and 'value="confirm"' not in page
    assert decide(senior_client, confirmed, "reopen", note="").status_code == 400
    assert decide(senior_client, confirmed, "reopen", note="partner appealed").status_code == 302
    reopened = ReviewItem.objects.get(pk=item.pk)
    assert reopened.state == ReviewState.PENDING
    event = AuditEvent.objects.get(action="item.reopen")
    assert (event.actor_user, event.reason) == (senior, "partner appealed")
    assert (event.before["state"], event.after["state"]) == ("confirmed", "pending")


def test_undecidable_transition_is_409(senior_client, item):
    escalated = set_state(item, ReviewState.ESCALATED)
    before = audit_count()
    assert decide(senior_client, escalated, "escalate").status_code == 409
    assert audit_count() == before


def test_partner_scoped_moderator_gets_404_for_a_foreign_item(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    foreign = item_open(theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    before = audit_count()

    assert client.get(item_url(foreign)).status_code == 404
    assert decide(client, foreign, "confirm").status_code == 404
    assert decide(client, foreign, "confirm", note="", **HTMX).status_code == 404

    assert audit_count() == before
    foreign.refresh_from_db()
    assert foreign.state == ReviewState.PENDING
    assert not HashFeedback.objects.exists()


def test_partner_scoped_moderator_sees_only_their_reports_on_a_shared_item(db):
    ours, theirs = PartnerFactory(display_name="Ours"), PartnerFactory(display_name="Theirs")
    shared = item_open(ours, theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    page = client.get(item_url(shared)).content.decode()
    assert "c-0" in page and "c-1" not in page
    assert "1 of 2 reports" in page


def test_unknown_item_is_404_and_other_methods_405(mod_client, item):
    assert mod_client.get(reverse("moderation:item", args=[item.pk + 100])).status_code == 404
    assert mod_client.put(item_url(item)).status_code == 405


@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        ("moderator", "/dashboard/"),
        ("senior_moderator", "/dashboard/"),
        ("admin", "/dashboard/partners/"),
        ("caseworker", "/dashboard/cases/"),
        (None, None),
    ],
)
def test_sign_in_lands_each_role_on_a_page_it_may_use(db, role, lands_on):
    assert Client().get(reverse("login")).status_code == 200
    user = UserFactory(role=role, is_staff=role == "admin")
    device = totp_device(user)
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    if lands_on:  # the second factor first, then the page
        assert response.redirect_chain[-1][0] == f"/accounts/2fa/?next={lands_on.replace('/', '%2F')}"
        response = client.post("/accounts/2fa/", {"code": totp_code(device), "next": lands_on}, follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == lands_on
    else:
        assert "Your role has no dashboard pages yet" in response.content.decode()  # a staff user with no role
