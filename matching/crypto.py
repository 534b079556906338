"""Encryption at rest for review uploads and derivatives (Fernet: AES-128-CBC + HMAC-SHA256),
with the ``NCII_IMAGE_KEYS`` keyring (`ncii_site.keyring`)."""

from ncii_site.keyring import keyring

_PURPOSE = b"ncii-hub review images"


def image_encrypt(data: bytes) -> bytes:
    return keyring("NCII_IMAGE_KEYS", _PURPOSE).encrypt(data)


def image_decrypt(token: bytes) -> bytes:
    return keyring("NCII_IMAGE_KEYS", _PURPOSE).decrypt(bytes(token))
