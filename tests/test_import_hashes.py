import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection

from audit.models import AuditEvent
from matching import services
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
    real_audit_record = services.audit_record
    calls = []

    def fail_after_writing(**kwargs):  # the second batch breaks after its rows are written
        calls.append(kwargs)
        if len(calls) >= 2:
            raise IntegrityError("simulated failure mid-batch")
        return real_audit_record(**kwargs)

    monkeypatch.setattr(services, "audit_record", fail_after_writing)
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


def test_a_hash_twice_in_a_batch_keeps_its_last_quality(db, tmp_path):
    value = random_pdq()
    path = tmp_path / "bank.csv"
    path.write_text(f"ImagePDQ,{value},60\nImagePDQ,{value.upper()},95\n")
    out = run(path)
    assert "added: 1" in out and "duplicates: 1" in out
    assert BankHash.objects.get(value=value).quality == 95


@pytest.mark.postgres
def test_postgres_import_copies_merges_and_analyzes(db, tmp_path):
    """On PostgreSQL the batch goes through COPY and one INSERT … SELECT; the bank's planner
    statistics are fresh at the end (pg_class.reltuples is -1 until a table is analysed)."""
    existing = BankHashFactory()
    values = [random_pdq() for _ in range(30)]
    path = tmp_path / "bank.txt"
    path.write_text("\n".join([*values, existing.value, md5(7)]) + "\n")
    out = run(path, "--source", "sister-bank", "--batch-size", "11")
    assert "added: 31" in out and "duplicates: 1" in out and "rejected: 0" in out
    added = BankHash.objects.filter(source="import", source_name="sister-bank")
    assert added.count() == 31 and set(added.values_list("status", flat=True)) == {"Active"}
    assert all(h.case_refs == {} and h.created_at == h.modified_at for h in added)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [BankHash._meta.db_table])
        assert cursor.fetchone()[0] == BankHash.objects.count()
