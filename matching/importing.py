"""Bulk loading of bank hashes from a file: one hex per line, or CSV rows
``signalType,hashValue[,quality]`` (an optional header row is skipped). Pure parsing here;
the batch write is ``bank_import_batch`` in services."""

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings

from matching.degenerate import pdq_degenerate_reasons
from matching.signal_types import HashFormatError, SignalType, hash_normalise, signal_type_for_length

CHECK_CHUNK = 1000  # rows checked for degenerate PDQ values in one numpy pass


@dataclass(frozen=True)
class ImportRow:
    line: int
    signal_type: str
    value: str
    quality: int | None


@dataclass
class ImportSummary:
    added: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, int] = field(default_factory=dict)  # reason -> first line number

    def reject(self, line: int, reason: str) -> None:
        self.rejected[reason] += 1
        self.examples.setdefault(reason, line)


def _parse_fields(line_no: int, fields: list[str]) -> ImportRow:
    if len(fields) == 1:
        detected = signal_type_for_length(fields[0])
        if detected is None:
            raise HashFormatError("not a 64-digit PDQ or 32-digit MD5 hex value")
        return ImportRow(line_no, detected, hash_normalise(detected, fields[0]), None)
    if len(fields) not in (2, 3):
        raise HashFormatError("expected signalType,hashValue[,quality]")
    kind = fields[0].removeprefix("StopNCIISignalType.")
    value = hash_normalise(kind, fields[1])
    quality = _quality(fields[2]) if len(fields) == 3 and fields[2] else None
    if kind == SignalType.PDQ and quality is not None and quality < settings.NCII_MIN_PDQ_QUALITY:
        raise HashFormatError(f"PDQ quality below {settings.NCII_MIN_PDQ_QUALITY}")
    return ImportRow(line_no, kind, value, None if kind == SignalType.MD5 else quality)


def _quality(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 0 <= int(raw) <= 100:
        raise HashFormatError("quality must be a whole number 0-100")
    return int(raw)


def rows_parse(lines: Iterable[str], summary: ImportSummary) -> Iterator[ImportRow]:
    """Valid rows in file order; invalid ones are counted in the summary with a reason. PDQ
    hashes are checked for degenerate values ``CHECK_CHUNK`` rows at a time."""
    chunk: list[ImportRow] = []
    for row in _rows_well_formed(lines, summary):
        chunk.append(row)
        if len(chunk) == CHECK_CHUNK:
            yield from _not_degenerate(chunk, summary)
            chunk = []
    yield from _not_degenerate(chunk, summary)


def _rows_well_formed(lines: Iterable[str], summary: ImportSummary) -> Iterator[ImportRow]:
    for line_no, fields in enumerate(csv.reader(lines), start=1):
        if not fields or not "".join(fields).strip():
            continue
        if line_no == 1 and fields[0].strip().lower() == "signaltype":
            continue
        try:
            yield _parse_fields(line_no, [f.strip() for f in fields])
        except HashFormatError as exc:
            summary.reject(line_no, str(exc).rstrip("."))


def _not_degenerate(rows: list[ImportRow], summary: ImportSummary) -> Iterator[ImportRow]:
    pdq = [row for row in rows if row.signal_type == SignalType.PDQ]
    reasons = dict(zip((row.line for row in pdq), pdq_degenerate_reasons([row.value for row in pdq]), strict=True))
    for row in rows:
        reason = reasons.get(row.line)
        if reason:
            summary.reject(row.line, reason)
        else:
            yield row
