"""Per-partner thresholds and the verdicts a lookup carries (issue 14)."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.services import Actor
from matching.models import BankHash, HashFeedback
from matching.services import feedback_record
from partners.thresholds import ThresholdRefused, partner_threshold_set
from tests.api_helpers import MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, PartnerFactory, flip_bits, random_pdq

pytestmark = pytest.mark.django_db
LOOKUP = "/api/v1/lookup"
SYSTEM = Actor.system("test")


def _lookup(key: str, hashes: list[str]) -> list[dict]:
    response = post_json(Client(), LOOKUP, {"signalType": "ImagePDQ", "hashes": hashes}, **bearer(key))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_partner_threshold_limits_its_lookups(partner_keys):
    partner, keys = partner_keys
    bank = BankHashFactory()
    near, far = flip_bits(bank.value, 10), flip_bits(bank.value, 11)
    assert [len(r["matches"]) for r in _lookup(keys.api_key, [near, far])] == [1, 1]
    partner_threshold_set(partner_id=partner.pk, max_distance=10, actor=SYSTEM)
    assert [len(r["matches"]) for r in _lookup(keys.api_key, [near, far])] == [1, 0]


def test_a_partner_threshold_limits_its_reports(partner_keys):
    partner, keys = partner_keys
    bank = BankHashFactory()
    partner_threshold_set(partner_id=partner.pk, max_distance=5, actor=SYSTEM)
    before = row_counts()
    body = {"signalType": "ImagePDQ", "hashValue": flip_bits(bank.value, 6), "contentId": "c"}
    assert_error(post_json(Client(), MATCHES, body, **bearer(keys.api_key)), 422, "no_bank_match")
    assert row_counts() == before


def test_threshold_past_31_is_refused_and_changes_nothing(partner_keys):
    partner, _ = partner_keys
    with pytest.raises(ThresholdRefused):
        partner_threshold_set(partner_id=partner.pk, max_distance=32, actor=SYSTEM)
    partner.refresh_from_db()
    assert partner.max_distance == 31
    assert not AuditEvent.objects.filter(action="partner.threshold_set").exists()


def test_setting_a_threshold_is_audited(partner_keys):
    partner, _ = partner_keys
    partner_threshold_set(partner_id=partner.pk, max_distance=20, actor=SYSTEM)
    event = AuditEvent.objects.get(action="partner.threshold_set")
    assert (event.before, event.after) == ({"max_distance": 31}, {"max_distance": 20})


def test_lookup_carries_verdicts_the_hub_verdict_and_an_opaque_id(partner_keys):
    _, keys = partner_keys
    bank = BankHashFactory()
    for value in ("Blocked", "Blocked", "NotBlocked"):
        feedback_record(bank_hash_id=bank.pk, partner=PartnerFactory(), value=value, tags=[], actor=SYSTEM)
    feedback_record(bank_hash_id=bank.pk, partner=None, value=HashFeedback.Value.BLOCKED, tags=[], actor=SYSTEM)
    [match] = _lookup(keys.api_key, [bank.value])[0]["matches"]
    assert match["bankHashId"] == str(BankHash.objects.get(pk=bank.pk).public_id)
    assert str(bank.pk) != match["bankHashId"]
    assert match["verdicts"] == {"blocked": 2, "notBlocked": 1}
    assert (match["hubVerdict"], match["hubConfirmed"], match["quarantined"]) == ("Blocked", True, False)


def test_lookup_of_an_undecided_hash_has_no_hub_verdict(partner_keys):
    _, keys = partner_keys
    bank = BankHashFactory()
    [match] = _lookup(keys.api_key, [bank.value])[0]["matches"]
    assert match["verdicts"] == {"blocked": 0, "notBlocked": 0}
    assert (match["hubVerdict"], match["hubConfirmed"]) == (None, False)


def test_the_verdicts_cost_one_query_for_many_matches(partner_keys, django_assert_max_num_queries):
    _, keys = partner_keys
    bank = BankHashFactory.create_batch(20)
    for b in bank:
        feedback_record(bank_hash_id=b.pk, partner=None, value="Blocked", tags=[], actor=SYSTEM)
    _lookup(keys.api_key, [random_pdq()])  # warm the index and the key
    with django_assert_max_num_queries(8):
        results = _lookup(keys.api_key, [b.value for b in bank])
    assert all(r["matches"][0]["hubConfirmed"] for r in results)
