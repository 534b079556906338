"""The item page: what a moderator decides on, their decisions, and the lease they hold
while they work it (extended while the page is in use, released when they leave)."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from matching.selectors import bank_cluster_members
from moderation.forms import DecisionForm
from moderation.minor_views import minors_referral
from moderation.models import NoteVisibility, ReviewItem, ReviewState
from moderation.qa_selectors import qa_blind_review_for
from moderation.scope import StaffScope, request_scope
from moderation.selectors import (
    hash_confirmations,
    item_audit_trail,
    item_decision_targets,
    item_get_visible,
    item_neighbours,
    item_note_for,
    item_prior_decisions,
    item_prior_feedback,
    item_reports,
    reason_codes,
    reason_label,
    reports_summary,
)
from moderation.services import (
    DECISIONS,
    NOTE_REQUIRED_CODES,
    ClaimNotHeld,
    review_claim_extend,
    review_claim_next,
    review_claim_release,
    review_decide,
)
from moderation.views import QUEUES, Queue, queue_for_next, request_user
from moderation.wellbeing_selectors import wellbeing_get
from moderation.wellbeing_views import exposure_for
from ncii_site.errors import DomainError, NotFound
from ncii_site.http import StaffRequest, permission_require, permission_require_any, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_MINOR

ITEM_TEMPLATE = "moderation/item.html"


@require_http_methods(["GET", "POST"])
@staff_login_required
def item_detail(request: StaffRequest, item_id: int) -> HttpResponse:
    permission_require_any(request, REVIEW, REVIEW_MINOR)  # which items: request_scope
    item = _visible_item(request, item_id)
    blind = qa_blind_review_for(scope=request_scope(request), item=item)
    if blind is not None:  # its decision waits for a blind second review this user gives or may give
        return _to_blind_review(request, item, qa_id=blind)
    if request.method == "POST":
        return _item_decide(request, item)
    return _item_page(request, item, form=DecisionForm(initial={"version": item.version}))


def _to_blind_review(request: StaffRequest, item: ReviewItem, *, qa_id: int) -> HttpResponse:
    """Neither the page nor a refusal (which shows the page) while this user is blind to it."""
    messages.info(
        request,
        f"Item {item.pk}'s decision is hidden from you until you record your blind second review of it here.",
    )
    url = reverse("moderation:qa-item", args=[qa_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _visible_item(request: StaffRequest, item_id: int) -> ReviewItem:
    item = item_get_visible(scope=request_scope(request), item_id=item_id)
    if item is None:  # absent and not yours look the same
        raise Http404("No such item.")
    return item


# --- decisions ----------------------------------------------------------------------------


def _item_decide(request: StaffRequest, item: ReviewItem) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _item_refused(request, item.pk, error=form.first_error(), status=400)
    data = form.cleaned_data
    try:
        decided = review_decide(
            moderator=request_user(request),
            item_id=item.pk,
            decision=data["decision"],
            reason_code=data["reason_code"],
            note=data["note"],
            note_visibility=data["note_visibility"] or NoteVisibility.INTERNAL,
            expected_version=data["version"],
        )
    except NotFound:
        raise  # a 404 page (ncii_site.middleware), not a message in the panel
    except DomainError as exc:  # refused: nothing was written
        return _item_refused(request, item.pk, error=str(exc), status=exc.status)
    return _item_decided(request, decided, came_from=item.state, and_next=data["and_next"])


def _item_decided(request: StaffRequest, item: ReviewItem, *, came_from: str, and_next: bool) -> HttpResponse:
    notice = f"Item {item.pk} is now {ReviewState(item.state).label.lower()}."
    if item.possible_minor:  # back to the child-safety queue, whatever the checkbox said
        messages.success(request, notice)
        url = reverse("moderation:child-safety")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if and_next and came_from in QUEUES:
        return _decided_then_next(request, notice=notice, queue=QUEUES[came_from])
    if not request.htmx:
        messages.success(request, notice)
        return redirect("moderation:item", item_id=item.pk)
    fresh = _visible_item(request, item.pk)
    form = DecisionForm(initial={"version": fresh.version})
    return _item_page(request, fresh, form=form, notice=notice)


def _decided_then_next(request: StaffRequest, *, notice: str, queue: Queue) -> HttpResponse:
    """Decide and next: lease the next item of the queue the decided one came from, and go there."""
    messages.success(request, notice)
    user = request_user(request)
    following = review_claim_next(moderator=user, state=queue.state) if user.has_perm(queue.permission) else None
    if following is None:
        messages.info(request, "No items waiting.")
    url = reverse("moderation:item", args=[following.pk]) if following else reverse(queue.url_name)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _item_refused(request: StaffRequest, item_id: int, *, error: str, status: int) -> HttpResponse:
    """The page (or panel) again, as it is now, keeping what the moderator chose and typed."""
    item = _visible_item(request, item_id)
    typed = {name: request.POST.get(name, "") for name in ("reason_code", "note")}
    visibility = request.POST.get("note_visibility") or NoteVisibility.INTERNAL
    form = DecisionForm(initial=typed | {"note_visibility": visibility, "version": item.version})
    return _item_page(request, item, form=form, error=error, status=status)


def _item_page(
    request: StaffRequest,
    item: ReviewItem,
    *,
    form: DecisionForm,
    status: int = 200,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    context = _item_context(request_scope(request), item) | {"form": form, "notice": notice, "error": error}
    if request.method == "POST" and request.htmx:
        return HttpResponse(_item_fragments(request, context), status=status)
    return render(request, ITEM_TEMPLATE, context | {"exposure": exposure_for(request)}, status=status)


def _item_fragments(request: StaffRequest, context: dict[str, Any]) -> str:
    """The panel the form targets, then the sections a decision changes, swapped out of band."""
    context = context | {"oob": True}
    names = ("decision-panel", "reports", "audit-trail")
    return "".join(render_to_string(f"{ITEM_TEMPLATE}#{n}", context, request) for n in names)


def _item_context(scope: StaffScope, item: ReviewItem) -> dict[str, Any]:
    user = scope.user
    reports = item_reports(scope=scope, item=item)
    partner_ids = {r.partner_id for r in reports}
    targets = item_decision_targets(user=user, item=item)
    previous_id, next_id = item_neighbours(scope=scope, item=item)
    return {
        "item": item,
        "bank_hash": item.bank_hash,
        "case_refs": sorted(item.bank_hash.case_refs.items()),
        "reports": reports,
        "summary": reports_summary(reports),
        "confirmations": hash_confirmations(bank_hash_id=item.bank_hash_id),
        "prior_decisions": [(d, reason_label(d.decision_code)) for d in item_prior_decisions(scope=scope, item=item)],
        "match_distance": settings.NCII_PDQ_MATCH_DISTANCE,
        "min_quality": settings.NCII_MIN_PDQ_QUALITY,
        "prior_feedback": item_prior_feedback(scope=scope, item=item, reporting_partner_ids=partner_ids),
        "related": bank_cluster_members(bank_hash=item.bank_hash),
        "cluster_distance": settings.NCII_BANK_CLUSTER_DISTANCE,
        "audit_trail": item_audit_trail(scope=scope, item=item, report_ids=[r.pk for r in reports]),
        "decision_note": item_note_for(scope=scope, item=item, reports=reports),
        "decisions": [name for name, target in DECISIONS.items() if target in targets],
        "decision_label": reason_label(item.decision_code),
        "reason_keys": min(9, len(reason_codes())),
        "note_required_codes": sorted(NOTE_REQUIRED_CODES),
        "hub_name": settings.NCII_HUB_NAME,
        "referral": minors_referral(),
        "claim_seconds": settings.NCII_CLAIM_SECONDS,
        "reblur_seconds": wellbeing_get(user).reblur_seconds,
        "previous_id": previous_id,
        "next_id": next_id,
        "next_queue": queue_for_next(user, item.state),
        "now": timezone.now(),
    }


# --- the lease ----------------------------------------------------------------------------


@require_POST
@staff_login_required
def claim_extend(request: StaffRequest, item_id: int) -> HttpResponse:
    """Keep the lease while the page is in use: the page's script asks, or the moderator."""
    permission_require(request, REVIEW)
    error, status = "", 200
    try:
        review_claim_extend(moderator=request_user(request), item_id=item_id)
    except ClaimNotHeld as exc:
        error, status = str(exc), exc.status
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS, error or "Claim extended.")
        return redirect("moderation:item", item_id=item_id)
    context = {
        "item": _visible_item(request, item_id),
        "now": timezone.now(),
        "claim_error": error,
        "claim_seconds": settings.NCII_CLAIM_SECONDS,
    }
    return render(request, f"{ITEM_TEMPLATE}#claim", context, status=status)


@require_POST
@staff_login_required
def claim_release(request: StaffRequest, item_id: int) -> HttpResponse:
    """Give the item back to the queue: the moderator's button, or the page's beacon as they
    leave (``beacon=1``: answered with a bare status, nobody reads it)."""
    permission_require(request, REVIEW)
    beacon = request.POST.get("beacon") == "1"
    try:
        review_claim_release(moderator=request_user(request), item_id=item_id)
    except ClaimNotHeld as exc:
        if beacon:
            return HttpResponse(status=exc.status)
        messages.error(request, str(exc))
        return redirect("moderation:item", item_id=item_id)
    if beacon:
        return HttpResponse(status=204)
    messages.info(request, f"You released item {item_id}; it is back in the queue.")
    return redirect("moderation:queue")
