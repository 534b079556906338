from moderation.models import ReviewState
from tests.factories import PartnerFactory, item_open


def test_item_open_builds_a_pending_item(db):
    a, b = PartnerFactory(), PartnerFactory()
    item = item_open(a, b)
    assert item.state == ReviewState.PENDING
    assert (item.report_count, item.partner_count, item.priority) == (2, 2, 2)
