from typing import Any

from django.conf import settings
from django.http import HttpRequest


def public_help(request: HttpRequest) -> dict[str, Any]:
    """Where to get help: shown on every public page (configured in settings), never on the
    staff's pages (sign-in, two-factor, dashboard, admin), which are not for the people it helps."""
    staff_prefixes = (*settings.NCII_2FA_PATH_PREFIXES, "/accounts/")
    return {
        "staff_page": request.path_info.startswith(staff_prefixes),
        "help_text": settings.NCII_HELP_TEXT,
        "helplines": settings.NCII_HELPLINES,
        "minors_service": {"name": settings.NCII_MINORS_SERVICE_NAME, "url": settings.NCII_MINORS_SERVICE_URL},
    }


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """The page's CSP nonce as ``csp_nonce``, the name django-htmx's ``{% htmx_script %}`` reads.
    Lazy: a page that never prints it sends no nonce in its header."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
