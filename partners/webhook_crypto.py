"""Webhook signing secrets at rest, with the ``NCII_WEBHOOK_KEYS`` keyring
(`ncii_site.keyring`). The hub must sign with the secret, so it is encrypted, not hashed."""

from ncii_site.keyring import keyring

_PURPOSE = b"ncii-hub webhook secrets"


def secret_encrypt(plaintext: str) -> bytes:
    return keyring("NCII_WEBHOOK_KEYS", _PURPOSE).encrypt(plaintext.encode())


def secret_decrypt(token: bytes) -> str:
    return keyring("NCII_WEBHOOK_KEYS", _PURPOSE).decrypt(bytes(token)).decode()
