"""The victim's pages (no login): create a case by hashing files in the browser, check a case,
withdraw a case; and the caseworker's assisted case creation, which reuses the create page.
The pages keep no state between requests (no session) and never put a PIN in a URL."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from cases.apis import CasePinThrottle
from cases.forms_public import CaseAccessForm, CaseGateForm, CaseWithdrawForm
from cases.models import Case
from cases.pin_guard import PinGuardUnavailable, case_authenticate_guarded
from cases.selectors import case_protected_counts
from cases.services import case_withdraw
from cases.wording import images_and_videos
from matching.signal_types import SignalType
from ncii_site.errors import DomainError
from ncii_site.http import HtmxHttpRequest, client_ip, permission_require, staff_login_required
from ncii_site.roles import WORK_CASE

NEW_TEMPLATE = "cases/new.html"
CHECK_TEMPLATE = "cases/check.html"
WITHDRAW_TEMPLATE = "cases/withdraw.html"
STATUS_LABELS: dict[str, Any] = {
    Case.Status.ACTIVE: gettext_lazy("Active"),
    Case.Status.WITHDRAWN: gettext_lazy("Withdrawn"),
}


@dataclass(frozen=True)
class CaseFacts:
    """What the person may see of their own case."""

    number: str
    status: str
    status_label: str
    hash_count: int
    protected: str  # "2 images and 1 video", in the page's language
    created_at: datetime
    withdrawn_at: datetime | None


def _case_facts(case: Case) -> CaseFacts:
    counts = case_protected_counts(case=case)
    images = counts.get(SignalType.PDQ, 0)
    videos = counts.get(SignalType.MD5, 0) + counts.get(SignalType.VPDQ, 0)
    return CaseFacts(
        number=case.number,
        status=case.status,
        status_label=str(STATUS_LABELS[case.status]),
        hash_count=sum(counts.values()),
        protected=images_and_videos(images=images, videos=videos),
        created_at=case.created_at,
        withdrawn_at=case.withdrawn_at,
    )


# --- create ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def case_new(request: HtmxHttpRequest) -> HttpResponse:
    return _new_page(request, assisted=False)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_login_required
def assisted_case_new(request: HtmxHttpRequest) -> HttpResponse:
    permission_require(request, WORK_CASE)
    return _new_page(request, assisted=True)


def _new_page(request: HtmxHttpRequest, *, assisted: bool) -> HttpResponse:
    """The age gate; then, for an adult in the images, the hasher (under 18: where to go
    instead, and no case). The hasher's script posts the hashes, never this view."""
    form = CaseGateForm(request.POST if request.method == "POST" else None, assisted=assisted)
    step = "gate"
    if form.is_bound and form.is_valid():
        step = "minor" if form.is_minor else "hasher"
    context = {"form": form, "step": step, "assisted": assisted, "hasher": _hasher_config(assisted)}
    return render(request, NEW_TEMPLATE, context, status=400 if form.is_bound and form.errors else 200)


def _hasher_config(assisted: bool) -> dict[str, Any]:
    return {
        "endpoint": reverse("assisted:submit") if assisted else reverse("case-create"),
        "min_quality": settings.NCII_MIN_PDQ_QUALITY,
        "max_hashes": settings.NCII_MAX_HASHES_PER_CASE,
    }


# --- check and withdraw -----------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("pin")
@require_http_methods(["GET", "POST"])
def case_check(request: HtmxHttpRequest) -> HttpResponse:
    form = CaseAccessForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()):
        return _access_page(request, CHECK_TEMPLATE, form)
    case = _authenticated(request, CHECK_TEMPLATE, form)
    if isinstance(case, HttpResponse):
        return case
    return render(request, CHECK_TEMPLATE, {"form": form, "case": _case_facts(case)})


@never_cache
@sensitive_post_parameters("pin")
@require_http_methods(["GET", "POST"])
def case_withdraw_page(request: HtmxHttpRequest) -> HttpResponse:
    """Number + PIN, then a confirmation that posts them again with ``confirm``; only that
    second post withdraws."""
    form = CaseWithdrawForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()):
        return _access_page(request, WITHDRAW_TEMPLATE, form)
    case = _authenticated(request, WITHDRAW_TEMPLATE, form)
    if isinstance(case, HttpResponse):
        return case
    step = "done" if case.status == Case.Status.WITHDRAWN else "confirm"
    if step == "confirm" and form.cleaned_data["confirm"]:
        case = case_withdraw(case_id=case.pk, actor=Actor.public(), reason="withdrawn by the person")
        step = "done"
    context = {"form": form, "case": _case_facts(case), "step": step}
    return render(request, WITHDRAW_TEMPLATE, context)


def _access_page(request: HtmxHttpRequest, template: str, form: CaseAccessForm) -> HttpResponse:
    return render(request, template, {"form": form}, status=400 if form.is_bound else 200)


@sensitive_variables()  # the PIN is in here: keep every local out of error reports
def _authenticated(request: HtmxHttpRequest, template: str, form: CaseAccessForm) -> Case | HttpResponse:
    """The case, or the page refusing: throttled per connection (shared with the case API),
    locked by the PIN guard (per case number and per client, shared with the API too), or one
    message for an unknown case and a wrong PIN alike."""
    throttle = CasePinThrottle()
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        return _refused(request, template, form, _too_many(throttle.wait() or 60), 429)
    try:
        return case_authenticate_guarded(
            case_number=form.cleaned_data["number"], pin=form.cleaned_data["pin"], client_ip=client_ip(request)
        )
    except DomainError as exc:
        wait = exc.retry_after
        locked = wait is not None and not isinstance(exc, PinGuardUnavailable)
        response = _refused(request, template, form, _too_many(wait) if locked and wait else str(exc), exc.status)
        if wait is not None:
            response["Retry-After"] = str(wait)
        return response


def _too_many(wait_seconds: float) -> str:
    minutes = max(1, round(wait_seconds / 60))
    return ngettext(
        "Too many attempts. Try again in about %(minutes)d minute.",
        "Too many attempts. Try again in about %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _refused(request: HtmxHttpRequest, template: str, form: CaseAccessForm, error: str, status: int) -> HttpResponse:
    return render(request, template, {"form": _blank(form), "error": error}, status=status)


def _blank(form: CaseAccessForm) -> CaseAccessForm:
    """The form again with the number as typed, without the PIN."""
    return type(form)(initial={"number": form.cleaned_data.get("number", "")})
