from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.audit_events import REPORTS_REHASHED
from matching.crypto import image_encrypt
from matching.images import HASH_VERSION
from matching.models import BankHash, MatchReport, ReviewImage
from tests.factories import BankHashFactory, PartnerFactory, flip_bits, item_open, random_pdq
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db


def new_case(*values: str):  # type: ignore[no-untyped-def]
    return case_create(hashes=[HashInput("ImagePDQ", v, 90) for v in values], actor=Actor.public())[0]


def test_near_duplicate_case_hashes_join_one_cluster_and_far_ones_do_not():
    first = random_pdq()
    new_case(first)
    new_case(flip_bits(first, 6))  # a re-save of the same photo, in another case
    new_case(flip_bits(first, 40))  # unrelated
    root = BankHash.objects.get(value=first)
    near = BankHash.objects.get(value=flip_bits(first, 6))
    far = BankHash.objects.get(value=flip_bits(first, 40))
    assert (root.cluster_id, near.cluster_id, far.cluster_id) == (None, root.pk, None)


def test_the_item_page_shows_related_hashes_without_case_numbers(moderator):
    value = random_pdq()
    new_case(value)
    other_case = new_case(flip_bits(value, 4))
    item = item_open(PartnerFactory(), bank_hash=BankHash.objects.get(value=value))
    client = signed_in(moderator)
    page = client.get(f"/dashboard/items/{item.pk}/").content.decode()
    assert "Related bank hashes" in page and flip_bits(value, 4)[:17] in page
    assert other_case.number not in page


def test_rehash_rehashes_stored_derivatives_on_the_workers():
    item = item_open(PartnerFactory(), bank_hash=BankHashFactory())
    report = item.memberships.get().report
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(encode(photo_like(3, (512, 400)))), width=512, height=400
    )
    out = StringIO()
    call_command("rehash", stdout=out, stderr=StringIO())
    report.refresh_from_db()
    assert "rehashed: 1 of 1" in out.getvalue()
    assert (report.hash_version, report.hashed_from_derivative, len(report.content_pdq)) == (HASH_VERSION, True, 64)
    assert AuditEvent.objects.get(action=REPORTS_REHASHED).after["reports"] == 1
    call_command("rehash", stdout=(again := StringIO()), stderr=StringIO())
    assert "queued 0 reports" in again.getvalue()
    call_command("rehash", "--all", stdout=StringIO(), stderr=StringIO())
    assert MatchReport.objects.get(pk=report.pk).hash_version == HASH_VERSION
