"""Signal types and hash-value rules. Pure: no Django."""

import re
from enum import StrEnum

from ncii_site.errors import DomainError


class SignalType(StrEnum):
    PDQ = "ImagePDQ"
    MD5 = "VideoMD5"
    VPDQ = "VideoPDQ"


HEX_LENGTH = {
    SignalType.PDQ: 64,
    SignalType.MD5: 32,
    SignalType.VPDQ: 64,
}  # VideoPDQ: its key, a SHA-256 (matching.vpdq)
_HEX = re.compile(r"[0-9a-f]+")


class HashFormatError(DomainError, ValueError):
    code = "invalid_hash"
    status = 400


def signal_type_for_length(value: str) -> SignalType | None:
    """The signal type a bare hex value of this length must be (64 = PDQ, 32 = MD5)."""
    return next((kind for kind, length in HEX_LENGTH.items() if length == len(value)), None)


def hash_normalise(signal_type: str, value: object) -> str:
    """Lower-case hex of the right length for the signal type, or HashFormatError.
    Upper- and mixed-case input is accepted and normalised to lower case, everywhere."""
    try:
        kind = SignalType(signal_type)
    except ValueError:
        raise HashFormatError(f"Unknown signal type {signal_type!r}; use ImagePDQ, VideoMD5 or VideoPDQ.") from None
    if not isinstance(value, str):
        raise HashFormatError("A hash value must be a string of hex digits.")
    normal = value.strip().lower()
    want = HEX_LENGTH[kind]
    if len(normal) != want:
        raise HashFormatError(f"An {kind} hash is {want} hex digits; got {len(normal)} characters.")
    if not _HEX.fullmatch(normal):
        raise HashFormatError(f"An {kind} hash is hex digits (0-9, a-f) only.")
    return normal
