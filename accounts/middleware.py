"""Staff session rules that apply to every request, whatever view answers it."""

from collections.abc import Callable

from django.conf import settings
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
