from moderation.selectors import item_reports
from tests.factories import PartnerFactory, UserFactory, item_open


def test_partner_scoped_moderator_sees_only_own_partner_reports(db, moderator):
    ours, theirs = PartnerFactory(), PartnerFactory()
    item = item_open(ours, theirs)
    scoped = UserFactory(role="moderator", partner=ours)

    assert [r.partner for r in item_reports(user=scoped, item=item)] == [ours]
    assert {r.partner for r in item_reports(user=moderator, item=item)} == {ours, theirs}
