from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ncii_site.api import json_error

# Paths that may carry a review image; every other request body is small.
_LARGE_BODY_PATHS = ("/api/v1/matches",)


class BodyLimitMiddleware:
    """Refuse an oversized body from its Content-Length, before anything reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error("bad_request", "Content-Length is not a number.", 400)
        large = request.path in _LARGE_BODY_PATHS
        limit = settings.NCII_MATCH_MAX_BODY_BYTES if large else settings.NCII_MAX_BODY_BYTES
        if length > limit:
            return json_error("too_large", f"The request body is larger than {limit} bytes.", 413)
        return self.get_response(request)
