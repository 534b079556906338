"""The moderator dashboard: the item page and the decisions made on it."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.models import HashFeedback
from matching.services import feedback_record
from moderation.audit_events import ITEM_DISMISS, ITEM_OPENED, ITEM_REOPEN, REPORT_TRIAGED
from moderation.models import ReviewItem, ReviewState
from tests.dashboard_helpers import NEXT, QUEUE, audit_count, decide, item_url, pending_item, set_state
from tests.factories import PASSWORD, PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import HTMX, signed_in, totp_code, totp_device


@pytest.fixture
def item(db) -> ReviewItem:
    return pending_item()


# --- the item page ------------------------------------------------------------------------


def test_item_page_shows_hash_reports_and_trail(mod_client, item):
    page = mod_client.get(item_url(item)).content.decode()
    assert item.bank_hash.value in page
    assert "ImagePDQ" in page
    assert "Picshare" in page
    assert "c-0" in page and "c-1" in page
    assert REPORT_TRIAGED in page and ITEM_OPENED in page
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
    assert ITEM_DISMISS in body
    item.refresh_from_db()
    assert item.state == ReviewState.DISMISSED
    assert AuditEvent.objects.get(action=ITEM_DISMISS).actor_user == moderator
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
    event = AuditEvent.objects.get(action=ITEM_REOPEN)
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


@pytest.mark.parametrize(
    ("author", "visibility", "b_reads_it"),
    [("a", "internal", False), ("a", "partner", False), ("hub", "internal", False), ("hub", "partner", True)],
)
def test_a_partner_moderator_reads_only_notes_meant_for_their_partner(db, author, visibility, b_reads_it):
    """Partner A's moderator and the hub's decide a shared item; partner B's moderator sees the
    note only when the hub shared it with the partners, in the decision panel and the trail."""
    a, b = PartnerFactory(), PartnerFactory()
    item = item_open(a, b)
    deciders = {"a": UserFactory(role="moderator", partner=a), "hub": UserFactory(role="moderator")}
    note = "Checked against the case; different person."
    data = {"decision": "dismiss", "reason_code": "other", "note": note, "note_visibility": visibility, "version": 1}
    assert signed_in(deciders[author]).post(item_url(item), data).status_code == 302

    page = signed_in(UserFactory(role="moderator", partner=b)).get(item_url(item)).content.decode()
    hub_page = signed_in(UserFactory(role="moderator")).get(item_url(item)).content.decode()

    assert (note in page) is b_reads_it
    assert note in hub_page  # hub staff read every note
