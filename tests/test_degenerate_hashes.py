"""The bank refuses what a blank picture would match: PDQ hashes with their bits far from
half set, and hashes within the match distance of the generated deny-list of trivial
pictures, at every way in (the case API, assisted cases, SubmitHashes, import_hashes).
A real picture's hash goes in; a bank row already there is listed, never dropped."""

import random
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from PIL import Image

from matching.degenerate import TRIVIAL, UNBALANCED, denylist_read, pdq_degenerate_reason, pdq_degenerate_reasons
from matching.models import BankHash
from matching.pdq import pdq_hex
from matching.trivial_images import trivial_images
from tests.api_helpers import CASES, assert_error, post_json, row_counts
from tests.factories import BankHashFactory, UserFactory, flip_bits, partner_with_keys, random_pdq
from tests.images import photo_like
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db

ZERO = "0" * 64
SOLID_BLACK = pdq_hex(Image.new("RGB", (800, 600), (0, 0, 0)))[0]


def with_bits(count: int) -> str:
    return format(sum(1 << b for b in random.sample(range(256), count)), "064x")


def checkerboard(cell: int) -> str:
    """A 128-bit, quality-100 hash: only the deny-list catches it."""
    return next(pdq_hex(image)[0] for label, image in trivial_images() if label == f"checkerboard {cell} px 640x480")


def pdq(value: str) -> dict[str, object]:
    return {"signalType": "ImagePDQ", "hashValue": value, "quality": 90}


def test_every_real_looking_picture_hashes_with_half_its_bits_set():
    for seed in range(8):
        value, _ = pdq_hex(photo_like(seed))
        assert int(value, 16).bit_count() == 128
        assert pdq_degenerate_reason(value) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(ZERO, UNBALANCED, id="all-zero"),
        pytest.param("f" * 64, UNBALANCED, id="all-one"),
        pytest.param(SOLID_BLACK, UNBALANCED, id="solid-black-picture"),
        pytest.param(checkerboard(32), TRIVIAL, id="checkerboard-balanced"),
        pytest.param(flip_bits(checkerboard(32), 30), TRIVIAL, id="near-a-checkerboard"),
    ],
)
def test_degenerate_hashes_and_their_reasons(value, reason):
    assert pdq_degenerate_reason(value) == reason


def test_the_bit_count_tolerance_is_a_setting_just_under_and_just_over(settings):
    settings.NCII_PDQ_BIT_COUNT_TOLERANCE = 8
    assert [pdq_degenerate_reason(with_bits(n)) for n in (119, 120, 136, 137)] == [UNBALANCED, None, None, UNBALANCED]
    settings.NCII_PDQ_BIT_COUNT_TOLERANCE = 20
    assert pdq_degenerate_reason(with_bits(110)) is None


def test_the_case_api_refuses_each_degenerate_hash_and_writes_nothing(client):
    before = row_counts()
    hashes = [pdq(random_pdq()), pdq(ZERO), pdq(checkerboard(16))]

    body = assert_error(post_json(client, CASES, {"hashes": hashes}), 400, "degenerate_hash")

    assert "hashes.1:" in body["detail"] and "0 of its 256 bits are set" in body["detail"]
    assert "hashes.2:" in body["detail"] and "checkerboard 16 px" in body["detail"]
    assert "hashes.0" not in body["detail"]
    assert row_counts() == before


def test_the_case_api_takes_a_real_pictures_hash(client):
    value, quality = pdq_hex(photo_like(3))

    hashes = [{"signalType": "ImagePDQ", "hashValue": value, "quality": quality}]
    response = post_json(client, CASES, {"hashes": hashes})

    assert response.status_code == 201, response.content


def test_an_assisted_case_refuses_them_too():
    client = signed_in(UserFactory(role="caseworker"))
    before = row_counts()

    response = post_json(client, "/dashboard/cases/new/submit/", {"hashes": [pdq(SOLID_BLACK)]})

    assert_error(response, 400, "degenerate_hash")
    assert row_counts() == before


def test_submit_hashes_refuses_the_batch_naming_the_hash():
    _, keys = partner_with_keys("acme")
    records = [{"signalType": "ImagePDQ", "hashValue": v} for v in (random_pdq(), checkerboard(8))]
    before = row_counts()

    response = post_json(
        Client(),
        "/v1/SubmitHashes",
        {"count": 2, "hashRecords": records},
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=keys.subscription_key,
        HTTP_X_FUNCTIONS_KEY=keys.function_keys["SubmitHashes"],
    )

    body = assert_error(response, 400, "degenerate_hash")
    assert body["detail"].startswith("hashRecords.1:")
    assert row_counts() == before


def test_a_batch_is_judged_as_each_hash_alone():
    near_trivial = [flip_bits(checkerboard(cell), d) for cell in (2, 4, 32) for d in (0, 20, 31, 32, 40)]
    values = near_trivial + [with_bits(n) for n in range(100, 157)] + [random_pdq() for _ in range(200)]
    random.shuffle(values)

    assert pdq_degenerate_reasons(values) == [pdq_degenerate_reason(v) for v in values]
    assert pdq_degenerate_reasons([]) == []


def test_an_import_longer_than_a_check_chunk_rejects_each_at_its_line(tmp_path):
    lines = [random_pdq() for _ in range(2500)]
    lines[0], lines[999], lines[1000], lines[2499] = ZERO, checkerboard(4), "f" * 64, checkerboard(32)
    path = tmp_path / "bank.txt"
    path.write_text("\n".join(lines) + "\n")
    out = StringIO()

    call_command("import_hashes", str(path), "--no-progress", stdout=out, stderr=StringIO())

    assert "added: 2496" in out.getvalue() and "rejected: 4" in out.getvalue()
    assert f"2 x {UNBALANCED} (first at line 1)" in out.getvalue()
    assert f"2 x {TRIVIAL} (first at line 1000)" in out.getvalue()
    assert BankHash.objects.count() == 2496


def test_an_import_rejects_them_with_the_reason(tmp_path):
    good = random_pdq()
    path = tmp_path / "bank.csv"
    path.write_text(f"{good}\n{ZERO}\nImagePDQ,{checkerboard(4)},90\n")
    out = StringIO()

    call_command("import_hashes", str(path), "--no-progress", stdout=out, stderr=StringIO())

    assert "added: 1" in out.getvalue() and "rejected: 2" in out.getvalue()
    assert f"1 x {UNBALANCED} (first at line 2)" in out.getvalue()
    assert f"1 x {TRIVIAL} (first at line 3)" in out.getvalue()
    assert list(BankHash.objects.values_list("value", flat=True)) == [good]


def test_bank_rows_that_fail_the_rules_are_listed_and_kept():
    bad, trivial, good = BankHashFactory(value=ZERO), BankHashFactory(value=checkerboard(2)), BankHashFactory()
    out = StringIO()

    call_command("bank_degenerate_list", stdout=out)

    listed = out.getvalue()
    assert f"{bad.pk}\t{ZERO}" in listed and f"{trivial.pk}\t{trivial.value}" in listed
    assert good.value not in listed and "2 bank hashes fail the rules" in listed
    assert BankHash.objects.count() == 3


def test_the_stored_deny_list_is_what_the_generator_makes(settings, tmp_path):
    """Spot checks (building the whole list takes a minute): generated hashes are in it."""
    stored, _ = denylist_read(Path(settings.NCII_PDQ_DENYLIST_PATH))
    assert len(stored) > 100 and len(set(stored)) == len(stored)
    wanted = {"solid (0, 0, 0) 640x480", "checkerboard 32 px 1920x1080", "blank page (255, 255, 255) 1240x1754"}
    for label, image in trivial_images():
        if label in wanted:
            assert pdq_hex(image)[0] in stored, label
            wanted.discard(label)
    assert not wanted
