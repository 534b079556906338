"""Possible minors: the "possible minor" action (item page and case page), the child-safety
team's queue, and its "not a minor" action. Refusals are DomainErrors, answered by
ncii_site.middleware (the refusal page with its status; 404 for an item not visible)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from moderation.minor_selectors import MINOR_QUEUE_LIMIT, minor_items_list
from moderation.minor_services import item_clear_possible_minor, item_mark_possible_minor
from moderation.scope import request_scope
from moderation.views import request_user
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_MINOR, WORK_CASE


def minors_referral() -> dict[str, str]:
    """Where the deployment refers content that may show a person under 18."""
    return {"name": settings.NCII_MINORS_SERVICE_REFERRAL_NAME, "url": settings.NCII_MINORS_SERVICE_REFERRAL_URL}


@require_POST
@staff_login_required
def item_possible_minor(request: StaffRequest, item_id: int) -> HttpResponse:
    if not (request.user.has_perm(REVIEW) or request.user.has_perm(WORK_CASE)):
        raise PermissionDenied
    item_mark_possible_minor(actor=request_user(request), item_id=item_id, reason=request.POST.get("reason", ""))
    messages.success(request, f"Item {item_id} is now with the child-safety team, and out of the ordinary queues.")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("moderation:queue" if request.user.has_perm(REVIEW) else "home")


@require_POST
@staff_login_required
def item_minor_clear(request: StaffRequest, item_id: int) -> HttpResponse:
    permission_require(request, REVIEW_MINOR)
    item_clear_possible_minor(actor=request_user(request), item_id=item_id, reason=request.POST.get("reason", ""))
    messages.success(request, f"Item {item_id} is back in the ordinary queues.")
    return redirect("moderation:child-safety")


@require_GET
@staff_login_required
def child_safety_queue(request: StaffRequest) -> HttpResponse:
    permission_require(request, REVIEW_MINOR)
    items = minor_items_list(scope=request_scope(request))
    context = {"items": items, "limit": MINOR_QUEUE_LIMIT, "referral": minors_referral()}
    return render(request, "moderation/child_safety.html", context)
