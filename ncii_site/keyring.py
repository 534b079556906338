"""Fernet keyrings for secrets the hub must read back (review images, webhook signing secrets).

A keyring comes from a setting of comma-separated Fernet keys, newest first: the newest
encrypts, every key still decrypts during a rotation. With the setting empty (the embedded
demo) one key is derived from SECRET_KEY with HKDF, a different one per purpose, and
`check --deploy` reports that."""

import base64
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _keyring(keys: tuple[str, ...], secret_key: str, purpose: bytes) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(k) for k in keys])
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose)
    return MultiFernet([Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))])


def keyring(keys_setting: str, purpose: bytes) -> MultiFernet:
    """The keyring named by a settings attribute (read now, so a changed setting takes effect)."""
    keys = tuple(k.strip() for k in getattr(settings, keys_setting).split(",") if k.strip())
    return _keyring(keys, settings.SECRET_KEY, purpose)
