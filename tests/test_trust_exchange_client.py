"""Meta's stock StopNCII client against the hub (issue 14): with sandbox keys it walks the
sandbox bank, and it parses a quarantined hash's record (status Active, the hub's
PendingReview feedback tagged as quarantined)."""

import pytest
from threatexchange.exchanges.clients.stopncii.api import (
    StopNCIIAPI,
    StopNCIICaseStatus,
    StopNCIICSPFeedbackValue,
    StopNCIIEndpoint,
    StopNCIISignalType,
)

from audit.services import Actor
from matching.models import BankHash
from matching.quarantine import QUARANTINE_TAG, bank_hash_quarantine
from partners.sandbox import SANDBOX_BANK
from partners.services import IssuedKeys, sandbox_keys_issue
from tests.factories import BankHashFactory, partner_with_keys

pytestmark = pytest.mark.django_db(transaction=True)


def stock_client(keys: IssuedKeys, live_server) -> StopNCIIAPI:  # type: ignore[no-untyped-def]
    return StopNCIIAPI(
        keys.subscription_key,
        keys.function_keys["FetchHashes"],
        additional_function_keys={
            StopNCIIEndpoint.SubmitFeedback: keys.function_keys["SubmitFeedback"],
            StopNCIIEndpoint.SubmitHashes: keys.function_keys["SubmitHashes"],
        },
        base_url_override=live_server.url + "/v1",
    )


def test_the_stock_client_walks_the_sandbox_with_sandbox_keys(live_server):
    partner, _ = partner_with_keys("joining")
    BankHashFactory()  # a real hash the sandbox never shows
    client = stock_client(sandbox_keys_issue(partner=partner, actor=Actor.system("test")), live_server)
    seen = {r.hashValue for page in client.fetch_hashes_iter(start_timestamp=0) for r in page.hashRecords}
    assert seen == {h.value for h in SANDBOX_BANK}
    client.submit_feedback(StopNCIISignalType.ImagePDQ, SANDBOX_BANK[0].value, StopNCIICSPFeedbackValue.Blocked)
    assert not BankHash.objects.filter(value=SANDBOX_BANK[0].value).exists()


def test_the_stock_client_parses_a_quarantined_hash(live_server):
    _, keys = partner_with_keys("photoshare")
    bank = BankHashFactory()
    from django.db import transaction

    with transaction.atomic():
        bank_hash_quarantine(bank_hash_id=bank.pk, actor=Actor.system("test"))
    records = {
        r.hashValue: r
        for page in stock_client(keys, live_server).fetch_hashes_iter(start_timestamp=0)
        for r in page.hashRecords
    }
    record = records[bank.value]
    assert record.hashStatus == StopNCIICaseStatus.Active
    [hub] = record.CSPFeedbacks
    assert hub.feedbackValue == StopNCIICSPFeedbackValue.PendingReview and QUARANTINE_TAG in hub.tags
