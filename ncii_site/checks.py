"""Deployment checks of the hub's own settings, run by ``manage.py check --deploy``."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def image_keys_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.NCII_IMAGE_KEYS.strip():
        return []
    return [
        Warning(
            "NCII_IMAGE_KEYS is not set: review images are encrypted with a key derived from SECRET_KEY.",
            hint="Set NCII_IMAGE_KEYS to Fernet keys (newest first) so they can be rotated apart from SECRET_KEY.",
            id="ncii.W001",
        )
    ]
