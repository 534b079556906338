from typing import Any

from django.conf import settings
from django.http import HttpRequest


def public_help(request: HttpRequest) -> dict[str, Any]:
    """Where to get help: shown on every public page (configured in settings)."""
    return {
        "help_text": settings.NCII_HELP_TEXT,
        "helplines": settings.NCII_HELPLINES,
        "minors_service": {"name": settings.NCII_MINORS_SERVICE_NAME, "url": settings.NCII_MINORS_SERVICE_URL},
    }
