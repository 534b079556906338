"""Staff pages about individual reports: their review images and the ones the worker
gave up on."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import Actor
from matching.crypto import image_decrypt
from matching.images import REVIEW_LEVELS, review_view
from matching.intake import report_retry
from moderation.scope import request_scope
from moderation.selectors import report_image_visible, reports_failed
from moderation.wellbeing_selectors import day_start, wellbeing_get
from moderation.wellbeing_services import RevealCapReached, image_reveal
from ncii_site.http import StaffRequest, permission_require, permission_require_any, posted_id, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_MINOR


@staff_login_required
@require_GET
def report_image(request: StaffRequest, item_id: int, report_id: int, position: int = 0) -> HttpResponse:
    """The derivative at the level asked for, made on the server so nothing sharper reaches
    the browser: blurred greyscale by default (at the moderator's blur, or sharp greyscale if
    an admin let them turn blur off), ``?view=grey`` sharp greyscale, ``?view=colour`` (or the
    older ``?reveal=1``) as sent. Every reveal is audited (a video report's keyframe by its
    position), within the daily cap of the moderator's role. Never cached."""
    permission_require_any(request, REVIEW, REVIEW_MINOR)  # which items: request_scope
    scope = request_scope(request)
    image = report_image_visible(scope=scope, item_id=item_id, report_id=report_id, position=position)
    if image is None:
        raise Http404("No review image (never sent, not yours to see, or deleted after the decision).")
    wellbeing = wellbeing_get(request.user)
    asked = _level_asked(request)
    level = asked or ("grey" if wellbeing.blur_off else "blurred")
    if level != "blurred":
        try:
            image_reveal(
                moderator=request.user,
                item_id=item_id,
                report_id=report_id,
                position=position,
                level=level,
                by_default=asked is None,
            )
        except RevealCapReached as exc:
            if asked:
                return _reveal_refused(request, str(exc))
            level = "blurred"  # blur off, but no reveals left today: the preview, blurred
    data = review_view(image_decrypt(image.ciphertext), level=level, radius=wellbeing.blur_radius)
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    return response


def _level_asked(request: StaffRequest) -> str | None:
    """The level the request names, or None for the moderator's default preview."""
    if request.GET.get("reveal") == "1":
        return "colour"
    view = request.GET.get("view")
    return view if view in REVIEW_LEVELS else None


def _reveal_refused(request: StaffRequest, message: str) -> HttpResponse:
    """429 and no image: an explanation for a person, and when the cap starts again."""
    response = render(request, "moderation/reveal_refused.html", {"message": message}, status=429)
    tomorrow = day_start() + timedelta(days=1)
    response["Retry-After"] = str(max(1, int((tomorrow - timezone.now()).total_seconds())))
    response["Cache-Control"] = "no-store, private"
    return response


@staff_login_required
@require_http_methods(["GET", "POST"])
def failed_reports(request: StaffRequest) -> HttpResponse:
    """Reports the worker could not process after its retries, with a retry button."""
    permission_require(request, REVIEW)
    if request.method == "POST":
        return _retry(request)
    page = Paginator(reports_failed(scope=request_scope(request)), 50).get_page(request.GET.get("page"))
    return render(request, "moderation/failed.html", {"page": page})


def _retry(request: StaffRequest) -> HttpResponse:
    report_id = posted_id(request.POST.get("report", ""))
    if report_id is None or not reports_failed(scope=request_scope(request)).filter(pk=report_id).exists():
        messages.error(request, "That report is not waiting for a retry.")
        return redirect("moderation:failed")
    report_retry(report_id=report_id, actor=Actor.user(request.user))
    messages.success(request, f"Report {report_id} is queued again.")
    return redirect("moderation:failed")
