"""Partner key generation and digests. Pure: no Django."""

import hashlib
import secrets


def key_generate() -> str:
    return "ncii_" + secrets.token_urlsafe(32)


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()
