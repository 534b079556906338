from moderation.models import ReviewState
from moderation.selectors import item_decision_targets, item_reports
from tests.factories import PartnerFactory, UserFactory, item_open


def test_partner_scoped_moderator_sees_only_own_partner_reports(db, moderator):
    ours, theirs = PartnerFactory(), PartnerFactory()
    item = item_open(ours, theirs)
    scoped = UserFactory(role="moderator", partner=ours)

    assert [r.partner for r in item_reports(user=scoped, item=item)] == [ours]
    assert {r.partner for r in item_reports(user=moderator, item=item)} == {ours, theirs}


def test_decision_targets_follow_role_and_state(db, moderator, senior):
    item = item_open(PartnerFactory())
    assert item_decision_targets(user=moderator, item=item) == {
        ReviewState.CONFIRMED,
        ReviewState.DISMISSED,
        ReviewState.ESCALATED,
    }
    item.state = ReviewState.ESCALATED
    assert item_decision_targets(user=moderator, item=item) == set()
    assert item_decision_targets(user=senior, item=item) == {
        ReviewState.CONFIRMED,
        ReviewState.DISMISSED,
    }
    item.state = ReviewState.CONFIRMED
    assert item_decision_targets(user=moderator, item=item) == set()
    assert item_decision_targets(user=senior, item=item) == {ReviewState.PENDING}
