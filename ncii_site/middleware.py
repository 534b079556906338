from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ncii_site.api import API_PREFIXES, json_error
from ncii_site.errors import DomainError, NotFound

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


class DomainErrorMiddleware:
    """The one place a refusal a page did not show itself becomes an answer: "not found"
    is the 404 page (JSON under the APIs), any other refusal the site's refusal page with its
    status and message. (DRF's handler answers the APIs' own refusals before this.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            raise Http404(str(exception)) from exception
        if not isinstance(exception, DomainError):
            return None
        if request.path.startswith(API_PREFIXES):
            return json_error(exception.code, str(exception), exception.status)
        return render(request, "refused.html", {"message": str(exception)}, status=exception.status)
