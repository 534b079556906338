"""Possible minors: marking an item moves it out of every ordinary queue into the child-safety
team's, with the reason audited; only the child_safety role sees and decides it; partners see
nothing but the outcome."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from moderation.audit_events import ITEM, ITEM_MINOR_CLEARED, ITEM_POSSIBLE_MINOR
from moderation.minor_selectors import minor_items_list
from moderation.minor_services import item_clear_possible_minor, item_mark_possible_minor
from moderation.models import ReviewItem
from moderation.scope import staff_scope
from moderation.selectors import QueueFilters, item_list
from moderation.services import DecisionRefused, ItemNotFound, NotPermitted, review_claim_next, review_decide
from ncii_site.errors import ReasonRequired
from tests.factories import PartnerFactory, UserFactory, item_open, partner_with_keys
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db

REASON = "The person looks about 15; school uniform."


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="cs", role="child_safety")


def events(item: ReviewItem, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=ITEM, object_id=str(item.pk), action=action))


def test_a_moderator_marks_an_item_and_it_leaves_the_ordinary_queues(moderator, team):
    item = item_open(PartnerFactory())
    other = item_open(PartnerFactory())

    item_mark_possible_minor(actor=moderator, item_id=item.pk, reason=REASON)

    [event] = events(item, ITEM_POSSIBLE_MINOR)
    assert event.actor_user == moderator and event.reason == REASON
    assert event.before["possible_minor"] is False and event.after["possible_minor"] is True
    assert list(item_list(scope=staff_scope(moderator), filters=QueueFilters())) == [other]
    assert review_claim_next(moderator=moderator).pk == other.pk  # never handed out
    assert minor_items_list(scope=staff_scope(team)) == [item]
    assert list(item_list(scope=staff_scope(team), filters=QueueFilters())) == [item]  # the team sees only these


def test_marking_needs_a_reason_and_a_reviewing_or_casework_role(moderator, caseworker, team):
    item = item_open(PartnerFactory())

    with pytest.raises(ReasonRequired):
        item_mark_possible_minor(actor=moderator, item_id=item.pk, reason="   ")
    with pytest.raises(NotPermitted):
        item_mark_possible_minor(actor=UserFactory(role="admin"), item_id=item.pk, reason=REASON)
    assert not ReviewItem.objects.get(pk=item.pk).possible_minor and not events(item, ITEM_POSSIBLE_MINOR)

    item_mark_possible_minor(actor=caseworker, item_id=item.pk, reason=REASON)  # from the case page
    with pytest.raises(ItemNotFound):  # the moderator no longer sees it at all
        item_mark_possible_minor(actor=moderator, item_id=item.pk, reason=REASON)
    assert len(events(item, ITEM_POSSIBLE_MINOR)) == 1


def test_only_the_child_safety_team_decides_and_partners_see_only_the_outcome(moderator, team):
    partner, keys = partner_with_keys()
    item = item_open(partner)
    item_mark_possible_minor(actor=moderator, item_id=item.pk, reason=REASON)

    with pytest.raises(ItemNotFound):
        review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    with pytest.raises(DecisionRefused):  # no note for the partner on such an item
        review_decide(
            moderator=team,
            item_id=item.pk,
            decision="confirm",
            reason_code="matches_bank",
            note="minor: referred",
            note_visibility="partner",
        )
    review_decide(moderator=team, item_id=item.pk, decision="confirm", reason_code="matches_bank", note="referred")

    report = item.memberships.get().report
    answer = signed_in(moderator).get(f"/api/v1/matches/{report.pk}", HTTP_AUTHORIZATION=f"Bearer {keys.api_key}")
    assert answer.json()["outcome"] == "confirmed"
    assert "decisionNote" not in answer.json() and "minor" not in answer.content.decode().lower()


def test_the_team_sends_an_item_back_with_a_reason(moderator, team):
    item = item_open(PartnerFactory())
    item_mark_possible_minor(actor=moderator, item_id=item.pk, reason=REASON)

    with pytest.raises(NotPermitted):
        item_clear_possible_minor(actor=moderator, item_id=item.pk, reason="adult")
    item_clear_possible_minor(actor=team, item_id=item.pk, reason="An adult: checked the partner's age signal.")

    [event] = events(item, ITEM_MINOR_CLEARED)
    assert event.actor_user == team and event.reason.startswith("An adult")
    assert [i.pk for i in item_list(scope=staff_scope(moderator), filters=QueueFilters())] == [item.pk]


def test_pages_the_item_page_states_the_referral_route_and_hides_it_from_others(moderator, team, settings):
    settings.NCII_MINORS_SERVICE_REFERRAL_NAME = "IWF report"
    settings.NCII_MINORS_SERVICE_REFERRAL_URL = "https://report.iwf.org.uk/"
    scoped = UserFactory(role="moderator", partner=PartnerFactory())
    item = item_open(PartnerFactory())
    mod = signed_in(moderator)

    marked = mod.post(reverse("moderation:item-minor", args=[item.pk]), {"reason": REASON})
    refused = mod.post(reverse("moderation:item-minor", args=[item.pk]), {"reason": REASON})

    assert marked.status_code == 302 and refused.status_code == 404
    assert mod.get(reverse("moderation:item", args=[item.pk])).status_code == 404
    assert signed_in(scoped).get(reverse("moderation:item", args=[item.pk])).status_code == 404
    page = signed_in(team).get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert 'href="https://report.iwf.org.uk/"' in page and "IWF report" in page and REASON in page
    queue = signed_in(team).get(reverse("moderation:child-safety")).content.decode()
    assert reverse("moderation:item", args=[item.pk]) in queue
    assert mod.get(reverse("moderation:child-safety")).status_code == 403


def test_a_caseworker_marks_from_the_case_page_and_returns_to_it(caseworker):
    item = item_open(PartnerFactory())
    back = "/dashboard/cases/1/"

    response = signed_in(caseworker).post(
        reverse("moderation:item-minor", args=[item.pk]), {"reason": REASON, "next": back}
    )
    offsite = signed_in(caseworker).post(
        reverse("moderation:item-minor", args=[item_open(PartnerFactory()).pk]),
        {"reason": REASON, "next": "https://evil.example/"},
    )

    assert response.status_code == 302 and response["Location"] == back
    assert offsite.status_code == 302 and offsite["Location"] == "/"
