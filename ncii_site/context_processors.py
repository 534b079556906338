from typing import Any

from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """The page's CSP nonce as ``csp_nonce``, the name django-htmx's ``{% htmx_script %}`` reads.
    Lazy: a page that never prints it sends no nonce in its header."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
