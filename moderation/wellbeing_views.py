"""The moderator's own wellbeing settings: how review images reach them, within the limits
the admins set."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from moderation.views import request_user
from moderation.wellbeing_forms import WellbeingForm
from moderation.wellbeing_selectors import wellbeing_get
from moderation.wellbeing_services import SettingsInvalid, moderator_settings_update
from ncii_site.http import HtmxHttpRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW

TEMPLATE = "moderation/wellbeing.html"


@require_http_methods(["GET", "POST"])
@staff_login_required
def wellbeing_settings(request: HtmxHttpRequest) -> HttpResponse:
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
    return render(request, TEMPLATE, {"form": form, "current": current}, status=status)
