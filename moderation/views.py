"""The moderator dashboard: the queues and "review next" (the item page is in item_views).
Views parse input, call selectors and services, and pick the page or fragment to render."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from moderation.forms import QueueFilterForm
from moderation.models import OPEN_STATES, ReviewState
from moderation.queue_selectors import item_partner_names
from moderation.scope import StaffScope, request_scope
from moderation.selectors import (
    item_list,
    item_state_counts,
    partner_choices,
    queue_health,
)
from moderation.services import (
    ClaimNotHeld,
    ItemNotFound,
    review_claim_next,
    review_claim_release,
)
from ncii_site.http import StaffRequest, permission_require, posted_id, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_ESCALATED, staff_start_page

QUEUE_TEMPLATE = "moderation/queue.html"


@dataclass(frozen=True)
class Queue:
    title: str
    url_name: str
    state: str  # the state "Review next" claims from
    fixed: bool  # the list shows only that state
    permission: str


PENDING_QUEUE = Queue("Review queue", "moderation:queue", ReviewState.PENDING, False, REVIEW)
ESCALATED_QUEUE = Queue("Escalations", "moderation:escalations", ReviewState.ESCALATED, True, REVIEW_ESCALATED)
QUEUES = {q.state: q for q in (PENDING_QUEUE, ESCALATED_QUEUE)}


def request_user(request: StaffRequest) -> User:
    assert request.user.is_authenticated  # staff_login_required ran
    return request.user


def _wants_fragment(request: StaffRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- queues -------------------------------------------------------------------------------


@require_GET
@staff_login_required
def queue(request: StaffRequest) -> HttpResponse:
    """The dashboard's front page: staff whose role has no queue go to their own first tool."""
    start = staff_start_page(request.user)
    if start is not None and start != PENDING_QUEUE.url_name:
        return redirect(start)
    permission_require(request, PENDING_QUEUE.permission)
    return _queue_page(request, PENDING_QUEUE)


@require_GET
@staff_login_required
def escalations(request: StaffRequest) -> HttpResponse:
    permission_require(request, ESCALATED_QUEUE.permission)
    return _queue_page(request, ESCALATED_QUEUE)


def _queue_page(request: StaffRequest, queue: Queue) -> HttpResponse:
    scope = request_scope(request)
    fixed_state = queue.state if queue.fixed else None
    form = QueueFilterForm(request.GET, partners=partner_choices(scope=scope), state=fixed_state)
    filters = form.filters()
    items = Paginator(item_list(scope=scope, filters=filters), settings.NCII_QUEUE_PAGE_SIZE)
    now = timezone.now()
    context = {
        "queue": queue,
        "form": form,
        "state": filters.state,
        "now": now,
        "sla_cutoff": now - timedelta(seconds=settings.NCII_SLA_TARGET_SECONDS),
        "open_states": OPEN_STATES,
        "bulk_max": settings.NCII_BULK_MAX,
        "page": _with_partner_names(scope, items.get_page(request.GET.get("page"))),
    }
    if _wants_fragment(request):
        response = render(request, f"{QUEUE_TEMPLATE}#item-list", context)
    else:
        context["counts"] = item_state_counts(scope=scope)
        context["health"] = queue_health(scope=scope, state=queue.state)
        response = render(request, QUEUE_TEMPLATE, context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a page or a fragment
    return response


def _with_partner_names(scope: StaffScope, page: Page) -> Page:
    names = item_partner_names(scope=scope, item_ids=[item.pk for item in page])
    for item in page:
        item.partner_names = names.get(item.pk, [])
        item.other_partners = max(0, item.partner_count - len(item.partner_names))  # not the viewer's to name
    return page


@require_POST
@staff_login_required
def review_next(request: StaffRequest) -> HttpResponse:
    queue = QUEUES.get(request.POST.get("queue", ReviewState.PENDING))
    if queue is None:
        return HttpResponseBadRequest("Unknown queue.")
    permission_require(request, queue.permission)
    skip = _skipped(request)
    item = review_claim_next(moderator=request_user(request), state=queue.state, exclude=skip)
    if item is None:
        messages.info(request, "No items waiting.")
        return redirect(queue.url_name)
    return redirect("moderation:item", item_id=item.pk)


def _skipped(request: StaffRequest) -> int | None:
    """The item the moderator is moving on from (``skip``): its claim, if they hold it, goes
    back to the queue, and "next" is some other item."""
    item_id = posted_id(request.POST.get("skip", ""))
    if item_id is None:
        return None
    with suppress(ClaimNotHeld, ItemNotFound):  # nothing to give back
        review_claim_release(moderator=request_user(request), item_id=item_id)
    return item_id


def queue_for_next(user: User, state: str) -> Queue | None:
    """The queue "next" continues from after an item in ``state``, if this user may work it."""
    queue = QUEUES.get(state, PENDING_QUEUE)
    return queue if user.has_perm(queue.permission) else None
