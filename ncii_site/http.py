"""Request typing and access glue shared by the staff pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails
from rest_framework.throttling import BaseThrottle


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware."""

    htmx: HtmxDetails


class StaffRequest(HtmxHttpRequest):
    """A staff page's request: its view is behind ``staff_login_required``, so the user is
    signed in (and, by TwoFactorRequiredMiddleware, verified)."""

    user: User


StaffView = Callable[..., HttpResponseBase]  # a page, or a streamed download


def staff_login_required(view: StaffView) -> StaffView:
    """Like ``login_required``, but an htmx request (say, after the session expired) sends
    the whole browser to the login page instead of swapping it into a fragment."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            back = request.htmx.current_url_abs_path or request.get_full_path()
            return HttpResponseClientRedirect(redirect_to_login(back).url)
        return redirect_to_login(request.get_full_path())

    return wrapper


def permission_require(request: HttpRequest, permission: str) -> None:
    """403 unless the signed-in user holds ``permission``."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


def permission_require_any(request: HttpRequest, *permissions: str) -> None:
    """403 unless the signed-in user holds at least one of ``permissions``."""
    if not any(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def client_ip(request: HttpRequest) -> str:
    """The client's address as DRF's throttles see it: REMOTE_ADDR, or behind NUM_PROXIES
    proxies the address the nearest proxy saw, so a client cannot choose it with a header."""
    return BaseThrottle().get_ident(request) or ""  # type: ignore[arg-type]


MAX_DB_ID = 2**63 - 1  # the largest id a bigint column holds; past it drivers overflow


def posted_id(raw: str) -> int | None:
    """A database id as a form posts it (ASCII digits), or None: ``isdigit()`` alone accepts
    "²", which ``int()`` refuses, and an id past 64 bits overflows the database driver."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_DB_ID else None


T = TypeVar("T")


def post_action(request: HttpRequest, obj: T, actions: dict[str, Callable[[Any, T], HttpResponse]]) -> HttpResponse:
    """Run the page action named by the POST field ``action`` on ``obj``; 400 if unknown."""
    action = actions.get(request.POST.get("action", ""))
    if action is None:
        return HttpResponseBadRequest("Unknown action.")
    return action(request, obj)
