"""Encryption at rest for review derivatives (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from ``NCII_IMAGE_KEYS`` (comma-separated Fernet keys, newest first: older keys
still decrypt during a rotation). Without it (embedded demo mode) a key is derived from
SECRET_KEY, and `check --deploy` reports that."""

import base64
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ncii-hub review images")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys] or [Fernet(_derived_key())])


def _keys() -> tuple[str, ...]:
    return tuple(k.strip() for k in settings.NCII_IMAGE_KEYS.split(",") if k.strip())


def image_encrypt(data: bytes) -> bytes:
    return _fernet(_keys()).encrypt(data)


def image_decrypt(token: bytes) -> bytes:
    return _fernet(_keys()).decrypt(bytes(token))
