import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError

from audit.models import AuditEvent
from matching.audit_events import BANK_IMPORTED
from matching.models import BankHash
from matching.selectors import bank_matches
from tests.factories import BankHashFactory, random_pdq


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_hashes", str(path), "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def md5(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()  # noqa: S324


def test_plain_hex_file_summary_counts_added_duplicates_and_rejects(db, tmp_path):
    existing = BankHashFactory()
    pdqs = [random_pdq() for _ in range(20)]
    lines = [*pdqs, pdqs[0].upper(), existing.value, md5(1), md5(1), "", "zz" * 32, "ab" * 20]
    path = tmp_path / "bank.txt"
    path.write_text("\n".join(lines) + "\n")
    out = run(path, "--source", "sister-bank", "--batch-size", "7")
    assert "added: 21" in out and "duplicates: 3" in out and "rejected: 2" in out
    assert "1 x An ImagePDQ hash is hex digits (0-9, a-f) only (first at line 26)" in out
    assert "1 x not a 64-digit PDQ or 32-digit MD5 hex value (first at line 27)" in out
    imported = BankHash.objects.filter(source="import", source_name="sister-bank")
    assert imported.count() == 21 and imported.filter(signal_type="VideoMD5").count() == 1
    assert AuditEvent.objects.filter(action=BANK_IMPORTED).count() == 4  # 25 valid rows, batches of 7


def test_csv_with_header_quality_and_reasons(db, tmp_path):
    good, weak = random_pdq(), random_pdq()
    path = tmp_path / "bank.csv"
    path.write_text(
        "signalType,hashValue,quality\n"
        f"ImagePDQ,{good},87\n"
        f"ImagePDQ,{weak},12\n"
        f"VideoMD5,{md5(2)},\n"
        f"StopNCIISignalType.VideoMD5,{md5(3)}\n"
        f"VideoTMK,{md5(4)}\n"
        f"ImagePDQ,{random_pdq()},101\n"
    )
    out = run(path)
    assert "added: 3" in out and "rejected: 3" in out
    assert "PDQ quality below 50 (first at line 3)" in out
    assert "Unknown signal type 'VideoTMK'" in out
    assert BankHash.objects.get(value=good).quality == 87
    assert not BankHash.objects.filter(value=weak).exists()


def test_imported_hashes_match_at_once(db, tmp_path):
    value = random_pdq()
    assert bank_matches(signal_type="ImagePDQ", value=value) == []
    path = tmp_path / "one.txt"
    path.write_text(value + "\n")
    run(path)
    assert [m.distance for m in bank_matches(signal_type="ImagePDQ", value=value)] == [0]


def test_a_failing_batch_leaves_nothing_behind(transactional_db, tmp_path, monkeypatch):
    values = [random_pdq() for _ in range(10)]
    path = tmp_path / "bank.txt"
    path.write_text("\n".join(values) + "\n")
    real_bulk_create = BankHash.objects.bulk_create
    calls = []

    def half_then_fail(objs, *args, **kwargs):  # the second batch breaks after writing half its rows
        calls.append(len(objs))
        if len(calls) >= 2:
            real_bulk_create(objs[: len(objs) // 2])
            raise IntegrityError("simulated failure mid-batch")
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(BankHash.objects, "bulk_create", half_then_fail)
    with pytest.raises(CommandError, match="rolled back"):
        run(path, "--batch-size", "5")
    assert set(BankHash.objects.values_list("value", flat=True)) == set(values[:5])
    assert AuditEvent.objects.filter(action=BANK_IMPORTED).count() == 1


def test_missing_file_and_bad_batch_size(db, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "absent.txt")
    path = tmp_path / "x.txt"
    path.write_text(random_pdq())
    with pytest.raises(CommandError, match="batch-size"):
        run(path, "--batch-size", "0")
