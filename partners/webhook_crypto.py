"""Webhook signing secrets at rest: Fernet with ``NCII_WEBHOOK_KEYS`` (newest first; older
keys still decrypt), or without it a key derived from SECRET_KEY. The hub must sign with the
secret, so it is encrypted, not hashed."""

import base64
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k) for k in keys])
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ncii-hub webhook secrets")
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))])


def _current() -> MultiFernet:
    keys = tuple(k.strip() for k in settings.NCII_WEBHOOK_KEYS.split(",") if k.strip())
    return _fernet(keys, settings.SECRET_KEY)


def secret_encrypt(plaintext: str) -> bytes:
    return _current().encrypt(plaintext.encode())


def secret_decrypt(token: bytes) -> str:
    return _current().decrypt(bytes(token)).decode()
