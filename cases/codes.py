"""Case numbers, references and PINs. Pure: no Django."""

import re
import secrets

# Crockford's base32 without the letters people confuse (I, L, O, U).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PIN_DIGITS = 8
_PIN = re.compile(rf"[0-9]{{{PIN_DIGITS}}}")  # ASCII digits only: str.isdigit() also takes "١٢٣"


def case_number_generate() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "NC-" + "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def case_reference_generate() -> str:
    return "ref-" + secrets.token_hex(10)


def pin_generate() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def pin_is_well_formed(pin: str) -> bool:
    return bool(_PIN.fullmatch(pin))


def case_number_normalise(raw: str) -> str:
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    compact = compact.removeprefix("NC")
    return "NC-" + "-".join(compact[i : i + 4] for i in range(0, len(compact), 4)) if compact else ""
