"""Staff session rules that apply to every request, whatever view answers it."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from ncii_site.http import HtmxHttpRequest


class TwoFactorRequiredMiddleware:
    """The one place the second factor is enforced: every path under NCII_2FA_PATH_PREFIXES
    (the dashboard, the admin) needs a session verified with a code. A signed-in but
    unverified session goes to verify or, with no device yet, to enrol; htmx requests move the
    whole page. Anonymous requests pass: those pages send them to sign in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        user = request.user
        staff_path = request.path_info.startswith(tuple(settings.NCII_2FA_PATH_PREFIXES))
        if staff_path and user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            return second_factor_redirect(request)
        return self.get_response(request)


def second_factor_redirect(request: HtmxHttpRequest) -> HttpResponse:
    step = "accounts:2fa-verify" if user_has_device(request.user) else "accounts:2fa-setup"
    htmx = getattr(request, "htmx", None)
    back = (htmx.current_url_abs_path if htmx else None) or request.get_full_path()
    url = f"{reverse(step)}?{urlencode({'next': back})}"
    return HttpResponseClientRedirect(url) if htmx else HttpResponseRedirect(url)


STARTED, SEEN = "ncii_session_started", "ncii_session_seen"


class SessionTimeoutMiddleware:
    """Ends a signed-in session NCII_SESSION_IDLE_SECONDS after its last request or
    NCII_SESSION_MAX_SECONDS after it began, and at once when its user may no longer sign in
    (deactivated or deleted: Django then finds no user for it). The request goes on anonymous,
    so a staff page sends it to sign in. Runs before OTPMiddleware, which then sees the end."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            if not request.user.is_authenticated or session_expired(session, now):
                logout(request)
            else:
                session.setdefault(STARTED, now)
                session[SEEN] = now  # saved with every signed-in request: the same queries each time
        return self.get_response(request)


def session_expired(session: SessionBase, now: int) -> bool:
    idle = now - session.get(SEEN, now)
    age = now - session.get(STARTED, now)
    return idle > settings.NCII_SESSION_IDLE_SECONDS or age > settings.NCII_SESSION_MAX_SECONDS
