from django.db import connection
from django.test.utils import CaptureQueriesContext

from moderation.models import ReviewState
from moderation.scope import staff_scope
from moderation.selectors import item_decision_targets, item_reports
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import signed_in


def test_partner_scoped_moderator_sees_only_own_partner_reports(db, moderator):
    ours, theirs = PartnerFactory(), PartnerFactory()
    item = item_open(ours, theirs)
    scoped = UserFactory(role="moderator", partner=ours)

    assert [r.partner for r in item_reports(scope=staff_scope(scoped), item=item)] == [ours]
    assert {r.partner for r in item_reports(scope=staff_scope(moderator), item=item)} == {ours, theirs}


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


def test_the_item_page_reads_the_staff_scope_once(db, moderator):
    """One visibility scope per request: the page's selectors are handed it, none asks again."""
    item = item_open(PartnerFactory())
    client = signed_in(moderator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/dashboard/items/{item.pk}/").status_code == 200
    profile_reads = [q["sql"] for q in queries.captured_queries if "moderation_staffprofile" in q["sql"]]
    assert len(profile_reads) == 1, profile_reads
