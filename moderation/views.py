"""The moderator dashboard: the queues, "review next", and the item page with its decisions.
Views parse input, call selectors and services, and pick the page or fragment to render."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from matching.selectors import bank_cluster_members
from moderation.forms import DecisionForm, QueueFilterForm
from moderation.models import NoteVisibility, ReviewItem, ReviewState
from moderation.selectors import (
    item_audit_trail,
    item_decision_targets,
    item_get_visible,
    item_list,
    item_prior_feedback,
    item_reports,
    item_state_counts,
    partner_choices,
    reason_label,
)
from moderation.services import (
    DECISIONS,
    DecisionRefused,
    ItemNotFound,
    NotPermitted,
    ReasonRequired,
    review_claim_next,
    review_decide,
)
from ncii_site.http import HtmxHttpRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_ESCALATED

QUEUE_TEMPLATE = "moderation/queue.html"
ITEM_TEMPLATE = "moderation/item.html"


@dataclass(frozen=True)
class Queue:
    title: str
    url_name: str
    state: str  # the state "Review next" claims from
    fixed: bool  # the list shows only that state
    permission: str


PENDING_QUEUE = Queue("Review queue", "moderation:queue", ReviewState.PENDING, False, REVIEW)
ESCALATED_QUEUE = Queue(
    "Escalations", "moderation:escalations", ReviewState.ESCALATED, True, REVIEW_ESCALATED
)
QUEUES = {q.state: q for q in (PENDING_QUEUE, ESCALATED_QUEUE)}


def _user(request: HtmxHttpRequest) -> AbstractBaseUser:
    assert request.user.is_authenticated  # staff_login_required ran
    return request.user


def _wants_fragment(request: HtmxHttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- queues -------------------------------------------------------------------------------


@require_GET
@staff_login_required
def queue(request: HtmxHttpRequest) -> HttpResponse:
    permission_require(request, PENDING_QUEUE.permission)
    return _queue_page(request, PENDING_QUEUE)


@require_GET
@staff_login_required
def escalations(request: HtmxHttpRequest) -> HttpResponse:
    permission_require(request, ESCALATED_QUEUE.permission)
    return _queue_page(request, ESCALATED_QUEUE)


def _queue_page(request: HtmxHttpRequest, queue: Queue) -> HttpResponse:
    user = _user(request)
    fixed_state = queue.state if queue.fixed else None
    form = QueueFilterForm(request.GET, partners=partner_choices(user=user), state=fixed_state)
    filters = form.filters()
    items = Paginator(item_list(user=user, filters=filters), settings.NCII_QUEUE_PAGE_SIZE)
    context = {"queue": queue, "form": form, "state": filters.state, "now": timezone.now(),
               "page": items.get_page(request.GET.get("page"))}
    if _wants_fragment(request):
        response = render(request, f"{QUEUE_TEMPLATE}#item-list", context)
    else:
        context["counts"] = item_state_counts(user=user)
        response = render(request, QUEUE_TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a page or a fragment
    return response


@require_POST
@staff_login_required
def review_next(request: HtmxHttpRequest) -> HttpResponse:
    queue = QUEUES.get(request.POST.get("queue", ReviewState.PENDING))
    if queue is None:
        return HttpResponseBadRequest("Unknown queue.")
    permission_require(request, queue.permission)
    item = review_claim_next(moderator=_user(request), state=queue.state)
    if item is None:
        messages.info(request, "No items waiting.")
        return redirect(queue.url_name)
    return redirect("moderation:item", item_id=item.pk)


# --- the item page ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_login_required
def item_detail(request: HtmxHttpRequest, item_id: int) -> HttpResponse:
    permission_require(request, REVIEW)
    item = _visible_item(request, item_id)
    if request.method == "POST":
        return _item_decide(request, item)
    return _item_page(request, item, form=DecisionForm(initial={"version": item.version}))


def _visible_item(request: HtmxHttpRequest, item_id: int) -> ReviewItem:
    item = item_get_visible(user=_user(request), item_id=item_id)
    if item is None:  # absent and not yours look the same
        raise Http404("No such item.")
    return item


# Refusals: nothing was written. A missing item is a 404, raised, not shown in the panel.
REFUSAL_STATUS: dict[type[Exception], int] = {
    ReasonRequired: 400, NotPermitted: 403, DecisionRefused: 409,
}


def _item_decide(request: HtmxHttpRequest, item: ReviewItem) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _item_refused(request, item.pk, error=form.first_error(), status=400)
    data = form.cleaned_data
    try:
        decided = review_decide(
            moderator=_user(request), item_id=item.pk, decision=data["decision"],
            reason_code=data["reason_code"], note=data["note"],
            note_visibility=data["note_visibility"] or NoteVisibility.INTERNAL, expected_version=data["version"],
        )
    except ItemNotFound as exc:
        raise Http404(str(exc)) from exc
    except tuple(REFUSAL_STATUS) as exc:
        status = next(code for cls, code in REFUSAL_STATUS.items() if isinstance(exc, cls))
        return _item_refused(request, item.pk, error=str(exc), status=status)
    return _item_decided(request, decided)


def _item_decided(request: HtmxHttpRequest, item: ReviewItem) -> HttpResponse:
    notice = f"Item {item.pk} is now {ReviewState(item.state).label.lower()}."
    if not request.htmx:
        messages.success(request, notice)
        return redirect("moderation:item", item_id=item.pk)
    fresh = _visible_item(request, item.pk)
    form = DecisionForm(initial={"version": fresh.version})
    return _item_page(request, fresh, form=form, notice=notice)


def _item_refused(request: HtmxHttpRequest, item_id: int, *, error: str, status: int) -> HttpResponse:
    """The page (or panel) again, as it is now, keeping what the moderator chose and typed."""
    item = _visible_item(request, item_id)
    typed = {name: request.POST.get(name, "") for name in ("reason_code", "note")}
    visibility = request.POST.get("note_visibility") or NoteVisibility.INTERNAL
    form = DecisionForm(initial=typed | {"note_visibility": visibility, "version": item.version})
    return _item_page(request, item, form=form, error=error, status=status)


def _item_page(
    request: HtmxHttpRequest, item: ReviewItem, *, form: DecisionForm, status: int = 200,
    notice: str = "", error: str = "",
) -> HttpResponse:
    context = _item_context(_user(request), item) | {"form": form, "notice": notice, "error": error}
    if request.method == "POST" and request.htmx:
        return HttpResponse(_item_fragments(request, context), status=status)
    return render(request, ITEM_TEMPLATE, context, status=status)


def _item_fragments(request: HtmxHttpRequest, context: dict[str, Any]) -> str:
    """The panel the form targets, then the sections a decision changes, swapped out of band."""
    context = context | {"oob": True}
    names = ("decision-panel", "reports", "audit-trail")
    return "".join(render_to_string(f"{ITEM_TEMPLATE}#{n}", context, request) for n in names)


def _item_context(user: AbstractBaseUser, item: ReviewItem) -> dict[str, Any]:
    reports = item_reports(user=user, item=item)
    partner_ids = {r.partner_id for r in reports}
    targets = item_decision_targets(user=user, item=item)
    return {
        "item": item,
        "bank_hash": item.bank_hash,
        "case_refs": sorted(item.bank_hash.case_refs.items()),
        "reports": reports,
        "best_distance": min((r.distance for r in reports), default=None),
        "prior_feedback": item_prior_feedback(item=item, reporting_partner_ids=partner_ids),
        "related": bank_cluster_members(bank_hash=item.bank_hash),
        "cluster_distance": settings.NCII_BANK_CLUSTER_DISTANCE,
        "audit_trail": item_audit_trail(item=item, report_ids=[r.pk for r in reports]),
        "decisions": [name for name, target in DECISIONS.items() if target in targets],
        "decision_label": reason_label(item.decision_code),
        "hub_name": settings.NCII_HUB_NAME,
        "now": timezone.now(),
    }
