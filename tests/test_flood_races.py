"""A flood marked while a senior decides an item of the same hash, on PostgreSQL: both finish,
neither deadlocks (flood marking locks items before the bank hash, as decisions do)."""

import pytest

from audit.selectors import audit_chain_verify
from matching.models import BankHash, MatchReport
from moderation.models import ReviewItem
from moderation.services import DecisionRefused, review_decide
from moderation.triage import report_triage
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, flip_bits, item_open, report_for
from tests.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _flood_limits(settings):  # type: ignore[no-untyped-def]
    settings.NCII_FLOOD_REPORTS, settings.NCII_FLOOD_PARTNERS = 2, 2


@pytest.mark.parametrize("attempt", range(8))
def test_a_flood_and_a_decision_on_the_same_hash_both_finish(attempt):
    senior = UserFactory(role="senior_moderator")
    bank = BankHashFactory()
    decided = item_open(PartnerFactory(), bank_hash=bank)
    other = report_for(PartnerFactory(), bank, content_id="second")
    report_triage(report_id=other.pk)  # a second report: the next one floods
    last = report_for(PartnerFactory(), bank, content_id="third")
    MatchReport.objects.filter(pk=last.pk).update(hash_value=flip_bits(bank.value, 9))  # its own item
    results = race(
        lambda: report_triage(report_id=last.pk),
        lambda: review_decide(
            moderator=senior, item_id=decided.pk, decision="confirm", reason_code="matches_bank", expected_version=1
        ),
    )
    # The decision wins, or loses to the flood (which escalated the item it was looking at).
    assert isinstance(results[0], ReviewItem), results
    assert isinstance(results[1], ReviewItem | DecisionRefused), results
    assert BankHash.objects.get(pk=bank.pk).quarantined_at is not None
    assert ReviewItem.objects.filter(bank_hash=bank, flood=True).exists()
    assert audit_chain_verify()[1] is None
