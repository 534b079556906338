"""The decision export page: its filters, and the CSV they give (streamed)."""

import csv
from collections.abc import Iterator

from django import forms
from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from moderation.export import ExportFilters, decision_rows, decisions_export_record
from moderation.forms import reason_choices
from moderation.models import ReviewState
from moderation.scope import request_scope
from moderation.selectors import partner_choices
from moderation.views import request_user
from ncii_site.http import StaffRequest, permission_require_any, staff_login_required
from ncii_site.roles import MANAGE_PARTNER, REVIEW_ESCALATED


class ExportForm(forms.Form):
    since = forms.DateField(
        label="Decided from (UTC day)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="Decided until (UTC day, included)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    partner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    state = forms.ChoiceField(choices=[("", "Any state"), *ReviewState.choices], required=False)
    reason_code = forms.ChoiceField(label="Reason", choices=reason_choices, required=False)
    moderator = forms.CharField(label="Moderator (username)", max_length=150, required=False)

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            since=data["since"],
            until=data["until"],
            partner_id=data["partner"],
            state=data["state"],
            reason_code=data["reason_code"],
            moderator=data["moderator"].strip(),
        )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@staff_login_required
def decisions_export(request: StaffRequest) -> HttpResponseBase:
    permission_require_any(request, REVIEW_ESCALATED, MANAGE_PARTNER)
    scope = request_scope(request)
    form = ExportForm(request.GET or None)
    partner_field = form.fields["partner"]
    assert isinstance(partner_field, forms.ChoiceField)
    partner_field.choices = [("", "All partners"), *((p.pk, p.display_name) for p in partner_choices(scope=scope))]
    if "download" not in request.GET or not form.is_valid():
        return render(request, "moderation/export.html", {"form": form}, status=400 if form.errors else 200)
    filters = form.filters()
    decisions_export_record(user=request_user(request), filters=filters)
    writer = csv.writer(_Echo())
    lines: Iterator[str] = (writer.writerow(row) for row in decision_rows(scope=scope, filters=filters))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="decisions.csv"'
    return response
