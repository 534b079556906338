"""Every transition of a review item: allowed ones write the state, one audit event and
partner feedback; refused ones write nothing."""

import pytest

from audit.models import AuditEvent
from matching.models import HashFeedback, MatchReport
from moderation.audit_events import ITEM_CLAIMED
from moderation.models import ALLOWED_TRANSITIONS, ReviewItem, ReviewState
from moderation.services import (
    DecisionRefused,
    ItemNotFound,
    NotPermitted,
    ReasonRequired,
    review_claim_next,
    review_decide,
)
from tests.factories import PartnerFactory, UserFactory, item_open

DECISION_TARGET = {"confirm": "confirmed", "dismiss": "dismissed", "escalate": "escalated", "reopen": "pending"}
ALL = [(state, decision) for state in ReviewState.values for decision in DECISION_TARGET]


def _item_in(state: str) -> ReviewItem:
    item = item_open(PartnerFactory())
    ReviewItem.objects.filter(pk=item.pk).update(state=state)
    item.refresh_from_db()
    return item


def _snapshot(item: ReviewItem) -> tuple:
    item.refresh_from_db()
    return (item.state, item.version, AuditEvent.objects.count(), HashFeedback.objects.count())


@pytest.mark.parametrize(("state", "decision"), ALL)
def test_transition_table(db, senior, state, decision):
    item = _item_in(state)
    target = DECISION_TARGET[decision]
    allowed = target in ALLOWED_TRANSITIONS[state]
    before = _snapshot(item)
    if not allowed:
        with pytest.raises(DecisionRefused):
            review_decide(moderator=senior, item_id=item.pk, decision=decision, reason_code="other", note="r")
        assert _snapshot(item) == before
        return
    review_decide(moderator=senior, item_id=item.pk, decision=decision, reason_code="other", note="because")
    item.refresh_from_db()
    assert item.state == target
    assert item.version == before[1] + 1
    event = AuditEvent.objects.filter(action=f"item.{decision}", object_id=str(item.pk)).get()
    assert event.actor_user_id == senior.pk
    assert (event.before["state"], event.after["state"], event.reason) == (state, target, "because")
    outcomes = set(MatchReport.objects.filter(membership__item=item).values_list("outcome", flat=True))
    assert outcomes == {target}


@pytest.mark.parametrize(("decision", "feedback"), [("confirm", "Blocked"), ("dismiss", "NotBlocked")])
def test_decision_is_feedback_that_moves_the_hash_forward(db, moderator, decision, feedback):
    item = item_open(PartnerFactory())
    modified = item.bank_hash.modified_at
    review_decide(moderator=moderator, item_id=item.pk, decision=decision, reason_code="other", note="seen")
    item.bank_hash.refresh_from_db()
    assert item.bank_hash.modified_at > modified
    hub_feedback = HashFeedback.objects.get(bank_hash=item.bank_hash, partner=None)
    assert hub_feedback.value == feedback


def test_partner_moderator_decision_is_that_partners_feedback(db):
    partner = PartnerFactory()
    mod = UserFactory(role="moderator", partner=partner)
    item = item_open(partner)
    review_decide(moderator=mod, item_id=item.pk, decision="confirm", reason_code="other", note="match")
    assert HashFeedback.objects.get(bank_hash=item.bank_hash).partner == partner


def test_escalate_gives_no_feedback(db, moderator):
    item = item_open(PartnerFactory())
    review_decide(moderator=moderator, item_id=item.pk, decision="escalate", reason_code="other", note="unsure")
    assert not HashFeedback.objects.exists()


SENIOR_ONLY = [("escalated", "confirm"), ("escalated", "dismiss"), ("confirmed", "reopen")]


@pytest.mark.parametrize(("state", "decision"), SENIOR_ONLY)
def test_moderator_may_not_make_senior_decisions(db, moderator, state, decision):
    item = _item_in(state)
    before = _snapshot(item)
    with pytest.raises(NotPermitted):
        review_decide(moderator=moderator, item_id=item.pk, decision=decision, reason_code="other", note="r")
    assert _snapshot(item) == before


def test_caseworker_may_not_decide(db):
    item = item_open(PartnerFactory())
    with pytest.raises(NotPermitted):
        caseworker = UserFactory(role="caseworker")
        review_decide(moderator=caseworker, item_id=item.pk, decision="confirm", reason_code="matches_bank")


def test_reason_is_required(db, moderator):
    item = item_open(PartnerFactory())
    before = _snapshot(item)
    with pytest.raises(ReasonRequired):
        review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="other", note="   ")
    assert _snapshot(item) == before


def test_stale_version_is_refused(db, moderator, senior):
    item = item_open(PartnerFactory())
    seen = item.version
    review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="other", note="first")
    review_decide(moderator=senior, item_id=item.pk, decision="reopen", reason_code="other", note="mistake")
    before = _snapshot(item)
    with pytest.raises(DecisionRefused, match="changed"):
        review_decide(
            moderator=moderator,
            item_id=item.pk,
            decision="dismiss",
            reason_code="other",
            note="late",
            expected_version=seen,
        )
    assert _snapshot(item) == before


def test_partner_scoped_moderator_cannot_see_or_decide_foreign_items(db):
    own, other = PartnerFactory(), PartnerFactory()
    mod = UserFactory(role="moderator", partner=own)
    foreign = item_open(other)
    before = _snapshot(foreign)
    with pytest.raises(ItemNotFound):
        review_decide(moderator=mod, item_id=foreign.pk, decision="confirm", reason_code="other", note="r")
    assert review_claim_next(moderator=mod) is None
    assert _snapshot(foreign) == before
    shared = item_open(own, other)
    assert review_claim_next(moderator=mod).pk == shared.pk


def test_claimed_item_cannot_be_decided_by_another_moderator(db, moderator):
    item = item_open(PartnerFactory())
    review_claim_next(moderator=moderator)
    other = UserFactory(role="moderator")
    with pytest.raises(DecisionRefused, match="Another moderator"):
        review_decide(moderator=other, item_id=item.pk, decision="confirm", reason_code="other", note="r")


def test_claim_next_takes_priority_then_age_and_never_the_same_item_twice(db, moderator):
    a, b = PartnerFactory(), PartnerFactory()
    older = item_open(a)
    busier = item_open(a, b)
    second = UserFactory(role="moderator")
    first_claim = review_claim_next(moderator=moderator)
    assert first_claim.pk == busier.pk
    assert review_claim_next(moderator=moderator).pk == busier.pk  # still held: same item back
    assert review_claim_next(moderator=second).pk == older.pk
    assert review_claim_next(moderator=UserFactory(role="moderator")) is None
    claim_events = AuditEvent.objects.filter(action=ITEM_CLAIMED)
    assert claim_events.count() == 3


def test_reopen_refused_while_another_item_is_open_for_the_hash(db, senior):
    partner = PartnerFactory()
    item = item_open(partner)
    review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="other", note="yes")
    newer = item_open(partner, bank_hash=item.bank_hash)
    assert newer.pk != item.pk
    before = _snapshot(item)
    with pytest.raises(DecisionRefused, match="Another open item"):
        review_decide(moderator=senior, item_id=item.pk, decision="reopen", reason_code="other", note="again")
    assert _snapshot(item) == before
