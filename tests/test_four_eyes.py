"""Four eyes on reopen: whoever made the decision a senior reopened may not decide the item
again; anyone else may. The refusal is a clear 403 that writes nothing."""

import pytest

from audit.models import AuditEvent
from moderation.services import NotPermitted, review_claim_next, review_decide
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db


def _reopened(decider, senior):
    item = item_open(PartnerFactory())
    review_decide(moderator=decider, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    review_decide(moderator=senior, item_id=item.pk, decision="reopen", reason_code="new_information")
    item.refresh_from_db()
    return item


@pytest.mark.parametrize("decision", ["confirm", "dismiss", "escalate"])
def test_the_first_decider_may_not_decide_a_reopened_item(moderator, senior, decision):
    item = _reopened(moderator, senior)
    assert item.reopened_decider == moderator
    events = AuditEvent.objects.count()
    with pytest.raises(NotPermitted, match="another moderator must decide"):
        review_decide(moderator=moderator, item_id=item.pk, decision=decision, reason_code="different_image")
    item.refresh_from_db()
    assert (item.state, AuditEvent.objects.count()) == ("pending", events)


def test_another_moderator_may_and_the_rule_then_ends(moderator, senior):
    item = _reopened(moderator, senior)
    other = UserFactory(role="moderator")
    review_decide(moderator=other, item_id=item.pk, decision="dismiss", reason_code="different_image")
    item.refresh_from_db()
    assert (item.state, item.decided_by, item.reopened_decider) == ("dismissed", other, None)


def test_a_senior_who_decided_and_reopened_it_may_not_decide_it_again(senior):
    item = _reopened(senior, senior)
    with pytest.raises(NotPermitted):
        review_decide(moderator=senior, item_id=item.pk, decision="dismiss", reason_code="different_image")


def test_the_page_says_why_with_a_403(moderator, senior):
    item = _reopened(moderator, senior)
    response = signed_in(moderator).post(
        f"/dashboard/items/{item.pk}/",
        {
            "decision": "dismiss",
            "reason_code": "different_image",
            "version": item.version,
            "note_visibility": "internal",
        },
    )
    assert response.status_code == 403
    assert "another moderator must decide it now" in response.content.decode()
    item.refresh_from_db()
    assert item.state == "pending"


def test_review_next_and_the_item_page_leave_it_to_others(moderator, senior):
    item = _reopened(moderator, senior)
    assert review_claim_next(moderator=moderator) is None
    page = signed_in(moderator).get(f"/dashboard/items/{item.pk}/").content.decode()
    assert "data-four-eyes" in page and 'value="confirm"' not in page
    assert review_claim_next(moderator=UserFactory(role="moderator")) == item
