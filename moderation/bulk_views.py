"""Bulk decisions: the items chosen in the queue on one page, each with its blurred preview
and match data; one decision and reason for all of them after an explicit confirmation of
the count. Each item is still decided on its own (its own audit event)."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from moderation.forms import BulkDecisionForm, selection_parse
from moderation.models import NoteVisibility, ReviewItem, ReviewState
from moderation.scope import request_scope
from moderation.selectors import items_for_bulk, reason_label
from moderation.services import DECISIONS, decision_reason_clean, review_decide_bulk
from moderation.views import request_user
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW

TEMPLATE = "moderation/bulk.html"


@require_http_methods(["GET", "POST"])
@staff_login_required
def bulk_review(request: StaffRequest) -> HttpResponse:
    permission_require(request, REVIEW)
    params = request.POST if request.method == "POST" else request.GET
    try:
        chosen = selection_parse(params.getlist("item"))
    except ValueError:
        return _page(request, "choose", error="That selection is not valid; choose the items again.", status=400)
    if not 0 < len(chosen) <= settings.NCII_BULK_MAX:
        error = f"Choose between 1 and {settings.NCII_BULK_MAX} items in the queue; you chose {len(chosen)}."
        return _page(request, "choose", error=error, status=400)
    items = items_for_bulk(scope=request_scope(request), ids=list(chosen))
    if len(items) != len(chosen):  # absent and not yours look the same
        raise Http404("No such item.")
    for item in items:  # what the moderator saw: a change since then is refused, item by item
        item.seen_version = chosen[item.pk] or item.version  # type: ignore[attr-defined]
    if request.method == "GET":
        return _page(request, "choose", items=items, form=BulkDecisionForm())
    return _bulk_post(request, items, chosen)


def _bulk_post(request: StaffRequest, items: list[ReviewItem], chosen: dict[int, int | None]) -> HttpResponse:
    form = BulkDecisionForm(request.POST)
    step = request.POST.get("step", "")
    if step == "choose":  # back from the confirmation, keeping the choices
        return _page(request, "choose", items=items, form=form)
    if not form.is_valid():
        return _page(request, "choose", items=items, form=form, error=form.first_error(), status=400)
    data = form.cleaned_data
    visibility = data["note_visibility"] or NoteVisibility.INTERNAL
    try:
        decision_reason_clean(code=data["reason_code"], note=data["note"], visibility=visibility)
    except DomainError as exc:
        return _page(request, "choose", items=items, form=form, error=str(exc), status=exc.status)
    summary = {
        "reason": reason_label(data["reason_code"]),
        "visibility": NoteVisibility(visibility).label,
        "outcome": ReviewState(DECISIONS[data["decision"]]).label.lower(),
    }
    if step != "apply" or data["confirm_count"] != len(items):  # the count must be the one confirmed
        return _page(request, "confirm", items=items, form=form, summary=summary)
    result = review_decide_bulk(
        moderator=request_user(request),
        items={i.pk: i.seen_version for i in items},  # type: ignore[attr-defined]
        decision=data["decision"],
        reason_code=data["reason_code"],
        note=data["note"],
        note_visibility=visibility,
    )
    return _page(request, "done", items=items, form=form, result=result, summary=summary)


def _page(request: StaffRequest, step: str, *, status: int = 200, **context: Any) -> HttpResponse:
    context = {"step": step, "items": [], "bulk_max": settings.NCII_BULK_MAX} | context
    return render(request, TEMPLATE, context, status=status)
