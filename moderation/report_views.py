"""Staff pages about individual reports: their review images and the ones the worker
gave up on."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import Actor, audit_record_atomic
from matching.crypto import image_decrypt
from matching.images import blurred
from matching.intake import report_retry
from moderation.selectors import report_image_visible, reports_failed
from ncii_site.http import HtmxHttpRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW


@staff_login_required
@require_GET
def report_image(request: HtmxHttpRequest, item_id: int, report_id: int) -> HttpResponse:
    """The derivative, blurred and greyscale unless the moderator asked to reveal it (which
    is audited). Never cached."""
    permission_require(request, REVIEW)
    image = report_image_visible(user=request.user, item_id=item_id, report_id=report_id)
    if image is None:
        raise Http404("No review image (never sent, not yours to see, or deleted after the decision).")
    data = image_decrypt(image.ciphertext)
    if request.GET.get("reveal") == "1":
        audit_record_atomic(actor=Actor.user(request.user), action="image.revealed",
                            object_type="matching.matchreport", object_id=report_id, after={"item": item_id})
    else:
        data = blurred(data)
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    return response


@staff_login_required
@require_http_methods(["GET", "POST"])
def failed_reports(request: HtmxHttpRequest) -> HttpResponse:
    """Reports the worker could not process after its retries, with a retry button."""
    permission_require(request, REVIEW)
    if request.method == "POST":
        return _retry(request)
    page = Paginator(reports_failed(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "moderation/failed.html", {"page": page})


def _retry(request: HtmxHttpRequest) -> HttpResponse:
    report_id = request.POST.get("report", "")
    visible = reports_failed(user=request.user).filter(pk=int(report_id)) if report_id.isdigit() else None
    if not visible or not visible.exists():
        messages.error(request, "That report is not waiting for a retry.")
        return redirect("moderation:failed")
    report_retry(report_id=int(report_id), actor=Actor.user(request.user))
    messages.success(request, f"Report {report_id} is queued again.")
    return redirect("moderation:failed")
