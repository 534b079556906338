"""Partner administration for the admin role: the partner list, creating a partner, and a
partner's page (keys, usage, audit trail) where keys are issued, rotated and revoked and the
partner is suspended or reinstated. A new key's plaintext appears once, in the response to
the POST that made it: never stored, never in a URL, never cached."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from audit.selectors import audit_list_for
from audit.services import Actor
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, post_action, staff_login_required
from ncii_site.roles import MANAGE_PARTNER
from partners.forms import KeyIssueForm, KeyRevokeForm, KeyRotateForm, PartnerCreateForm, StatusForm
from partners.models import Partner, PartnerKey
from partners.selectors import partner_get, partner_key_get, partner_keys, partner_list_admin, partner_usage_get
from partners.services import (
    PARTNER,
    key_issue,
    key_revoke,
    key_rotate,
    partner_create,
    partner_set_status,
    sandbox_keys_issue,
)
from partners.thresholds import partner_threshold_set, partner_video_pdq_set
from partners.webhook_forms import ThresholdForm, VideoPdqForm

LIST_TEMPLATE = "partners/partner_list.html"
NEW_TEMPLATE = "partners/partner_new.html"
DETAIL_TEMPLATE = "partners/partner_detail.html"
KEYS_TEMPLATE = "partners/keys_issued.html"
PAGE_SIZE = 50
AUDIT_LIMIT = 50
# Where the partner puts each kind of key.
KEY_USE: dict[str, str] = {
    PartnerKey.Kind.SUBSCRIPTION: "Ocp-Apim-Subscription-Key header on every /v1/ call",
    PartnerKey.Kind.FETCH: "x-functions-key header on /v1/FetchHashes",
    PartnerKey.Kind.FEEDBACK: "x-functions-key header on /v1/SubmitFeedback",
    PartnerKey.Kind.SUBMIT: "x-functions-key header on /v1/SubmitHashes",
    PartnerKey.Kind.API: "Authorization: Bearer header on /api/v1/",
}


def _actor(request: StaffRequest) -> Actor:
    user = request.user
    assert isinstance(user, User)  # staff_login_required ran
    return Actor.user(user)


# --- the list and a new partner -------------------------------------------------------------


@require_GET
@staff_login_required
def partner_list(request: StaffRequest) -> HttpResponse:
    permission_require(request, MANAGE_PARTNER)
    page = Paginator(partner_list_admin(), PAGE_SIZE).get_page(request.GET.get("page"))
    wants_fragment = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, LIST_TEMPLATE + ("#partner-list" if wants_fragment else ""), {"page": page})
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a page or a fragment
    return response


@require_http_methods(["GET", "POST"])
@staff_login_required
def partner_new(request: StaffRequest) -> HttpResponse:
    """Creating a partner issues its five keys (StopNCII subscription and function keys, and a
    hub API key), shown once on the response."""
    permission_require(request, MANAGE_PARTNER)
    form = PartnerCreateForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        name, display_name = form.cleaned_data["name"], form.cleaned_data["display_name"]
        try:
            partner, issued = partner_create(name=name, display_name=display_name, actor=_actor(request))
        except IntegrityError:  # created by someone else since the form checked
            form.add_error("name", "A partner with this short name already exists.")
        else:
            new_keys: list[tuple[str, str]] = [(PartnerKey.Kind.SUBSCRIPTION, issued.subscription_key)]
            new_keys += [(f"fn:{name}", key) for name, key in issued.function_keys.items()]
            return _keys_shown(request, partner, [*new_keys, (PartnerKey.Kind.API, issued.api_key)], created=True)
    return render(request, NEW_TEMPLATE, {"form": form}, status=400 if form.errors else 200)


def _keys_shown(
    request: StaffRequest, partner: Partner, new_keys: list[tuple[str, str]], **context: object
) -> HttpResponse:
    rows = [{"kind": PartnerKey.Kind(kind), "use": KEY_USE[kind], "plaintext": key} for kind, key in new_keys]
    response = render(request, KEYS_TEMPLATE, {"partner": partner, "rows": rows} | context)
    add_never_cache_headers(response)  # Cache-Control: no-store, for the browser and any proxy
    return response


# --- a partner's page and its actions -------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_login_required
def partner_detail(request: StaffRequest, partner_id: int) -> HttpResponse:
    permission_require(request, MANAGE_PARTNER)
    partner = partner_get(partner_id=partner_id)
    if partner is None:
        raise Http404("No such partner.")
    if request.method == "GET":
        return _detail_page(request, partner)
    return post_action(request, partner, PARTNER_ACTIONS)


def _detail_page(
    request: StaffRequest, partner: Partner, *, status: int = 200, error: str = "", **forms: object
) -> HttpResponse:
    other = Partner.Status.SUSPENDED if partner.is_active else Partner.Status.ACTIVE
    context = {
        "partner": partner,
        "keys": partner_keys(partner=partner),
        "usage": partner_usage_get(partner=partner),
        "audit_trail": audit_list_for(object_type=PARTNER, object_id=partner.pk).order_by("-seq")[:AUDIT_LIMIT],
        "audit_limit": AUDIT_LIMIT,
        "issue_form": KeyIssueForm(),
        "rotate_form": KeyRotateForm(),
        "status_form": StatusForm(initial={"status": other}),
        "threshold_form": ThresholdForm(initial={"max_distance": partner.max_distance}),
        "video_form": VideoPdqForm(initial={"receives_video_pdq": partner.receives_video_pdq}),
        "error": error,
    }
    return render(request, DETAIL_TEMPLATE, context | forms, status=status)


def _partner_url(partner: Partner, anchor: str) -> str:
    return reverse("partners:detail", args=[partner.pk]) + f"#{anchor}"


def _own_key(partner: Partner, key_id: int) -> PartnerKey:
    key = partner_key_get(partner=partner, key_id=key_id)
    if key is None:
        raise Http404("That key is not this partner's.")
    return key


def _form_error(form: Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _key_issue(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = KeyIssueForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, status=400, error=_form_error(form))
    plaintext = key_issue(partner=partner, kind=form.cleaned_data["kind"], actor=_actor(request))
    return _keys_shown(request, partner, [(form.cleaned_data["kind"], plaintext)])


def _key_rotate(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = KeyRotateForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, status=400, error=_form_error(form))
    old, overlap = _own_key(partner, form.cleaned_data["key"]), form.cleaned_data["overlap"]
    try:
        new = key_rotate(key_id=old.pk, actor=_actor(request), overlap_seconds=overlap)
    except DomainError as exc:
        return _detail_page(request, partner, status=exc.status, error=str(exc))
    old.refresh_from_db()
    return _keys_shown(request, partner, [(new.key.kind, new.plaintext)], replaced=old, overlap=overlap > 0)


def _key_revoke(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = KeyRevokeForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, status=400, error=_form_error(form))
    key = _own_key(partner, form.cleaned_data["key"])
    try:
        key_revoke(key_id=key.pk, actor=_actor(request), reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _detail_page(request, partner, status=exc.status, error=str(exc))
    messages.success(request, f"Key {key.prefix}… is revoked: it stops working on the partner's next request.")
    return redirect(_partner_url(partner, "keys"))


def _status_set(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, status=400, status_form=form)
    status, reason = form.cleaned_data["status"], form.cleaned_data["reason"]
    try:
        partner_set_status(partner_id=partner.pk, status=status, actor=_actor(request), reason=reason)
    except DomainError as exc:
        return _detail_page(request, partner, status=exc.status, error=str(exc))
    if status == Partner.Status.SUSPENDED:
        messages.success(request, f"{partner.display_name} is suspended: its keys stop working on its next request.")
    else:
        messages.success(request, f"{partner.display_name} is active again.")
    return redirect(_partner_url(partner, "status"))


def _threshold_set(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = ThresholdForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, partner, status=400, threshold_form=form)
    partner_threshold_set(partner_id=partner.pk, max_distance=form.cleaned_data["max_distance"], actor=_actor(request))
    messages.success(request, f"Lookups and reports now match within {form.cleaned_data['max_distance']} bits.")
    return redirect(_partner_url(partner, "threshold"))


def _video_pdq_set(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = VideoPdqForm(request.POST)
    form.is_valid()  # a checkbox: absent is off
    enabled = bool(form.cleaned_data.get("receives_video_pdq"))
    partner_video_pdq_set(partner_id=partner.pk, enabled=enabled, actor=_actor(request))
    said = "now exchanged" if enabled else "no longer exchanged"
    messages.success(request, f"VideoPDQ records are {said} with {partner.display_name}.")
    return redirect(_partner_url(partner, "video-pdq"))


def _sandbox_issue(request: StaffRequest, partner: Partner) -> HttpResponse:
    issued = sandbox_keys_issue(partner=partner, actor=_actor(request))
    new_keys: list[tuple[str, str]] = [(PartnerKey.Kind.SUBSCRIPTION, issued.subscription_key)]
    new_keys += [(f"fn:{name}", key) for name, key in issued.function_keys.items()]
    return _keys_shown(request, partner, [*new_keys, (PartnerKey.Kind.API, issued.api_key)], sandbox=True)


PARTNER_ACTIONS: dict[str, Callable[[StaffRequest, Partner], HttpResponse]] = {
    "sandbox": _sandbox_issue,
    "threshold": _threshold_set,
    "video_pdq": _video_pdq_set,
    "issue": _key_issue,
    "rotate": _key_rotate,
    "revoke": _key_revoke,
    "status": _status_set,
}
