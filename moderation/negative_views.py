"""The negative bank page (admins): the known-benign hashes, adding one with a reason, and
the active bank hashes each covers, listed for review (caseworkers withdraw them from cases;
a report of them is already refused)."""

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from matching.models import NegativeHash
from matching.negative_bank import negative_add, negative_covered_active, negative_list
from matching.signal_types import SignalType
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import MANAGE_PARTNER

TEMPLATE = "moderation/negative_bank.html"


class NegativeAddForm(forms.Form):
    signal_type = forms.ChoiceField(label="Signal type", choices=[(s.value, s.value) for s in SignalType])
    value = forms.CharField(label="Hash (hex)", max_length=64, min_length=32)
    reason = forms.CharField(label="Why is this content benign? (required)", max_length=2000, widget=forms.Textarea)


@require_http_methods(["GET", "POST"])
@staff_login_required
def negative_bank(request: StaffRequest) -> HttpResponse:
    permission_require(request, MANAGE_PARTNER)
    form = NegativeAddForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST":
        if not form.is_valid():
            return _render(request, context, status=400)
        try:
            entry = negative_add(**form.cleaned_data, source=NegativeHash.Source.ADMIN, actor=Actor.user(request.user))
        except (DomainError, ValueError) as exc:
            return _render(request, context | {"error": str(exc)}, status=getattr(exc, "status", 400))
        covered = negative_covered_active(entry=entry, limit=settings.NCII_NEGATIVE_COVERED_LIST_MAX)
        context |= {"added": entry, "covered": covered, "form": NegativeAddForm()}
    return _render(request, context)


def _render(request: StaffRequest, context: dict[str, object], *, status: int = 200) -> HttpResponse:
    return render(request, TEMPLATE, context | {"entries": negative_list()}, status=status)
