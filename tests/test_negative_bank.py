"""The negative bank (issue 14): hashes of benign content never enter the bank again nor
match a report; adding one lists the active hashes it covers."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.services import Actor
from matching.audit_events import BANK_IMPORTED
from matching.importing import ImportRow
from matching.models import BankHash
from matching.negative_bank import NegativeRefused, negative_add, negative_covered, negative_covered_active
from matching.services import bank_import_batch
from tests.api_helpers import CASES, MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import BankHashFactory, flip_bits, random_pdq

pytestmark = pytest.mark.django_db
ADMIN = Actor.system("admin-test")


def _benign(value: str) -> None:
    negative_add(signal_type="ImagePDQ", value=value, reason="a blank frame", source="admin", actor=ADMIN)


def test_adding_one_lists_the_active_hashes_it_covers():
    base = random_pdq()
    near, nearer, far = (BankHashFactory(value=flip_bits(base, n)) for n in (30, 3, 40))
    _benign(base)
    event = AuditEvent.objects.get(action="negative.added")
    assert event.after["covers_active"] == [nearer.pk, near.pk]
    entry_covers = negative_covered_active(entry=event_entry(), limit=10)
    assert [m.bank_hash.pk for m in entry_covers] == [nearer.pk, near.pk]
    assert far.pk not in event.after["covers_active"]


def event_entry():  # type: ignore[no-untyped-def]
    from matching.models import NegativeHash

    return NegativeHash.objects.get()


def test_covered_means_within_the_negative_distance(settings):
    base = random_pdq()
    _benign(base)
    settings.NCII_NEGATIVE_PDQ_DISTANCE = 31
    assert negative_covered(signal_type="ImagePDQ", values=[flip_bits(base, 31), flip_bits(base, 32)]) == [True, False]


def test_a_covered_hash_cannot_enter_the_bank_by_a_case():
    base = random_pdq()
    _benign(base)
    before = row_counts()
    body = {"hashes": [{"signalType": "ImagePDQ", "hashValue": flip_bits(base, 5), "quality": 90}]}
    assert_error(post_json(Client(), CASES, body), 422, "known_benign")
    assert row_counts() == before


def test_a_covered_hash_cannot_match_a_report(partner_keys):
    _, keys = partner_keys
    base = random_pdq()
    bank = BankHashFactory(value=flip_bits(base, 20))  # active, banked before the entry: listed for review
    _benign(base)
    before = row_counts()
    body = {"signalType": "ImagePDQ", "hashValue": flip_bits(base, 2), "contentId": "meme"}
    assert_error(post_json(Client(), MATCHES, body, **bearer(keys.api_key)), 422, "known_benign")
    assert row_counts() == before
    lookup = {"signalType": "ImagePDQ", "hashes": [flip_bits(base, 2)]}
    result = post_json(Client(), "/api/v1/lookup", lookup, **bearer(keys.api_key)).json()["results"][0]
    assert (result["knownBenign"], result["matches"]) == (True, [])
    assert BankHash.objects.get(pk=bank.pk).status == "Active"


def test_an_import_leaves_covered_hashes_out():
    base = random_pdq()
    _benign(base)
    fresh = random_pdq()
    rows = [ImportRow(1, "ImagePDQ", flip_bits(base, 1), 90), ImportRow(2, "ImagePDQ", fresh, 90)]
    assert bank_import_batch(rows=rows, source_name="archive", actor=ADMIN) == (1, 0)
    assert list(BankHash.objects.values_list("value", flat=True)) == [fresh]
    assert AuditEvent.objects.get(action=BANK_IMPORTED).after["benign"] == 1


def test_a_duplicate_or_a_reasonless_entry_is_refused():
    base = random_pdq()
    _benign(base)
    with pytest.raises(NegativeRefused):
        _benign(base)
    with pytest.raises(NegativeRefused):
        negative_add(signal_type="ImagePDQ", value=random_pdq(), reason="  ", source="admin", actor=ADMIN)
    assert AuditEvent.objects.filter(action="negative.added").count() == 1
