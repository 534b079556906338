"""A partner's webhooks page (admins): register an endpoint and choose its events, rotate
its signing secret (shown once, on the response that made it, never cached), disable it,
and see recent deliveries with their status, replaying one."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from audit.services import Actor
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, post_action, staff_login_required
from ncii_site.roles import MANAGE_PARTNER
from partners.models import Partner
from partners.selectors import partner_get
from partners.webhook_delivery import webhook_recent
from partners.webhook_forms import DeliveryForm, EndpointCreateForm, EndpointDisableForm, EndpointForm
from partners.webhook_models import WebhookEndpoint
from partners.webhooks import (
    NewSecret,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_replay,
    webhook_secret_rotate,
)

TEMPLATE = "partners/webhooks.html"
SECRET_TEMPLATE = "partners/webhook_secret.html"  # noqa: S105 - a template name
ROTATION_OVERLAP_SECONDS = 24 * 3600
ENDPOINTS_SHOWN = 20  # active ones first, then the most recently disabled


@require_http_methods(["GET", "POST"])
@staff_login_required
def partner_webhooks(request: StaffRequest, partner_id: int) -> HttpResponse:
    permission_require(request, MANAGE_PARTNER)
    partner = partner_get(partner_id=partner_id)
    if partner is None:
        raise Http404("No such partner.")
    if request.method == "GET":
        return _page(request, partner)
    return post_action(request, partner, ACTIONS)


def _page(request: StaffRequest, partner: Partner, *, status: int = 200, **context: object) -> HttpResponse:
    endpoints = list(partner.webhooks.order_by("-active", "-pk").prefetch_related("secrets")[:ENDPOINTS_SHOWN])
    rows = [(e, webhook_recent(endpoint=e, limit=settings.NCII_WEBHOOK_LIST_LIMIT)) for e in endpoints]
    base = {"partner": partner, "rows": rows, "create_form": EndpointCreateForm()}
    return render(request, TEMPLATE, base | context, status=status)


def _endpoint(partner: Partner, endpoint_id: int) -> WebhookEndpoint:
    endpoint = partner.webhooks.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("That endpoint is not this partner's.")
    return endpoint


def _secret_shown(request: StaffRequest, partner: Partner, new: NewSecret) -> HttpResponse:
    response = render(request, SECRET_TEMPLATE, {"partner": partner, "new": new})
    add_never_cache_headers(response)
    return response


def _actor(request: StaffRequest) -> Actor:
    return Actor.user(request.user)


def _create(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = EndpointCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, partner, status=400, create_form=form)
    try:
        new = webhook_endpoint_create(
            partner=partner, url=form.cleaned_data["url"], events=form.cleaned_data["events"], actor=_actor(request)
        )
    except DomainError as exc:
        return _page(request, partner, status=exc.status, error=str(exc), create_form=form)
    return _secret_shown(request, partner, new)


def _rotate(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, partner, status=400, error="Choose an endpoint.")
    endpoint = _endpoint(partner, form.cleaned_data["endpoint"])
    new = webhook_secret_rotate(
        endpoint_id=endpoint.pk, actor=_actor(request), overlap_seconds=ROTATION_OVERLAP_SECONDS
    )
    return _secret_shown(request, partner, new)


def _disable(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = EndpointDisableForm(request.POST)
    if not form.is_valid():
        return _page(request, partner, status=400, error="Give a reason.")
    endpoint = _endpoint(partner, form.cleaned_data["endpoint"])
    try:
        webhook_endpoint_disable(endpoint_id=endpoint.pk, actor=_actor(request), reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _page(request, partner, status=exc.status, error=str(exc))
    messages.success(request, "The endpoint is disabled; its pending deliveries are dropped.")
    return redirect(reverse("partners:webhooks", args=[partner.pk]))


def _replay(request: StaffRequest, partner: Partner) -> HttpResponse:
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        return _page(request, partner, status=400, error="Choose a delivery.")
    try:
        webhook_replay(delivery_id=form.cleaned_data["delivery"], partner=partner, actor=_actor(request))
    except DomainError as exc:
        return _page(request, partner, status=exc.status, error=str(exc))
    messages.success(request, "The delivery is being sent again.")
    return redirect(reverse("partners:webhooks", args=[partner.pk]))


ACTIONS: dict[str, Callable[[StaffRequest, Partner], HttpResponse]] = {
    "create": _create,
    "rotate": _rotate,
    "disable": _disable,
    "replay": _replay,
}
