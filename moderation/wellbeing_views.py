"""The moderator's own wellbeing settings: how review images reach them, within the limits
the admins set."""

from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from moderation.views import request_user
from moderation.wellbeing_forms import WellbeingForm
from moderation.wellbeing_selectors import Exposure, exposure_get, wellbeing_get
from moderation.wellbeing_services import SettingsInvalid, moderator_settings_update
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW

TEMPLATE = "moderation/wellbeing.html"


@require_http_methods(["GET", "POST"])
@staff_login_required
def wellbeing_settings(request: StaffRequest) -> HttpResponse:
    permission_require(request, REVIEW)
    user = request_user(request)
    current = wellbeing_get(user)
    form = WellbeingForm(request.POST if request.method == "POST" else None, current=current)
    if form.is_valid():
        try:
            moderator_settings_update(moderator=user, **form.cleaned_data)
        except SettingsInvalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Your settings are saved.")
            return redirect("moderation:wellbeing")
    status = 400 if form.is_bound else 200
    context = {"form": form, "current": current, "exposure": exposure_for(request)}
    return render(request, TEMPLATE, context, status=status)


# --- exposure: this sign-in's reveals and breaks --------------------------------------------

SESSION_START, LAST_BREAK = "wellbeing_since", "wellbeing_break_at"


def exposure_for(request: StaffRequest) -> Exposure:
    """This sign-in's exposure. When it started and the last break are kept in the session
    (set on the first page that asks), so they end with it."""
    start = _session_time(request, SESSION_START) or _session_time_set(request, SESSION_START)
    last_break = _session_time(request, LAST_BREAK)
    break_at = max(start, last_break) if last_break else start
    return exposure_get(user=request_user(request), session_start=start, break_at=break_at)


def _session_time(request: StaffRequest, key: str) -> datetime | None:
    raw = request.session.get(key)
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def _session_time_set(request: StaffRequest, key: str) -> datetime:
    now = timezone.now()
    request.session[key] = now.isoformat()
    return now


@require_POST
@staff_login_required
def break_taken(request: StaffRequest) -> HttpResponse:
    """The moderator dismissed the break prompt (they took one, or chose not to): counting
    starts again. Only this session remembers it; it is nobody's business to audit."""
    permission_require(request, REVIEW)
    _session_time_set(request, LAST_BREAK)
    if request.htmx:
        context = {"exposure": exposure_for(request)}
        return render(request, "moderation/item.html#break-prompt", context)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("moderation:queue")
    return redirect(back)
