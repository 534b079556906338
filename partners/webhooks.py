"""Signed webhooks, the partner-administration side and the emitting side: endpoints are
registered with the events they want, secrets are shown once and rotated like keys, and a
change anywhere in the hub calls ``webhook_emit`` inside its own transaction, which writes
one delivery per subscribed endpoint and sends them after the commit (partners.webhook_delivery)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from ncii_site.errors import DomainError, NotFound, ReasonRequired
from partners.audit_events import (
    WEBHOOK,
    WEBHOOK_CREATED,
    WEBHOOK_DISABLED,
    WEBHOOK_REPLAYED,
    WEBHOOK_SECRET_ROTATED,
)
from partners.models import Partner
from partners.outbound import url_policy_check
from partners.webhook_crypto import secret_encrypt
from partners.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSecret

WEBHOOK_TASK = "partners.webhook_deliver"


class WebhookRefused(DomainError, ValueError):
    code = "webhook_refused"
    status = 400


@dataclass(frozen=True)
class NewSecret:
    """A signing secret just made, with its plaintext: shown once."""

    secret: WebhookSecret
    plaintext: str


def _secret_create(endpoint: WebhookEndpoint) -> NewSecret:
    plaintext = "whsec_" + secrets.token_urlsafe(32)
    secret = WebhookSecret.objects.create(
        endpoint=endpoint, key_id="wk_" + secrets.token_hex(6), ciphertext=secret_encrypt(plaintext)
    )
    return NewSecret(secret, plaintext)


def _events_clean(events: list[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen or any(e not in WebhookEvent.values for e in chosen):
        raise WebhookRefused(f"Choose one or more of: {', '.join(WebhookEvent.values)}.")
    return chosen


@transaction.atomic(durable=True)
def webhook_endpoint_create(*, partner: Partner, url: str, events: list[str], actor: Actor) -> NewSecret:
    """Register an endpoint (https only; its address is checked again at every delivery)."""
    url_policy_check(url)
    chosen = _events_clean(events)
    Partner.objects.select_for_update().get(pk=partner.pk)  # serialise the count check
    if WebhookEndpoint.objects.filter(partner=partner, active=True).count() >= settings.NCII_WEBHOOK_MAX_ENDPOINTS:
        raise WebhookRefused(f"A partner may have at most {settings.NCII_WEBHOOK_MAX_ENDPOINTS} active endpoints.")
    endpoint = WebhookEndpoint.objects.create(partner=partner, url=url, events=chosen)
    new = _secret_create(endpoint)
    audit_record(
        actor=actor,
        action=WEBHOOK_CREATED,
        object_type=WEBHOOK,
        object_id=endpoint.pk,
        after={"partner": partner.pk, "url": url, "events": chosen, "key_id": new.secret.key_id},
    )
    return new


@transaction.atomic(durable=True)
def webhook_secret_rotate(*, endpoint_id: int, actor: Actor, overlap_seconds: int) -> NewSecret:
    """A new secret; the current ones keep signing beside it for ``overlap_seconds``."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    now = timezone.now()
    ending = endpoint.secrets.filter(expires_at__isnull=True)
    retired = list(ending.values_list("key_id", flat=True))
    ending.update(expires_at=now + timedelta(seconds=max(0, overlap_seconds)))
    new = _secret_create(endpoint)
    audit_record(
        actor=actor,
        action=WEBHOOK_SECRET_ROTATED,
        object_type=WEBHOOK,
        object_id=endpoint.pk,
        before={"key_ids": retired},
        after={"key_id": new.secret.key_id, "overlap_seconds": overlap_seconds},
    )
    return new


@transaction.atomic(durable=True)
def webhook_endpoint_disable(*, endpoint_id: int, actor: Actor, reason: str) -> WebhookEndpoint:
    if not reason.strip():
        raise ReasonRequired("Give a reason.")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if not endpoint.active:
        raise WebhookRefused("This endpoint is already disabled; nothing was changed.")
    endpoint.active = False
    endpoint.save(update_fields=["active"])
    endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.DROPPED, last_error="endpoint disabled"
    )
    audit_record(
        actor=actor,
        action=WEBHOOK_DISABLED,
        object_type=WEBHOOK,
        object_id=endpoint.pk,
        reason=reason.strip(),
        after={"active": False},
    )
    return endpoint


@transaction.atomic(durable=True)
def webhook_replay(*, delivery_id: int, partner: Partner, actor: Actor) -> WebhookDelivery:
    """Send a delivery again (same delivery id and body, freshly signed), now."""
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, endpoint__partner=partner).first()
    if delivery is None:
        raise NotFound("No such delivery of this partner's.")
    if not delivery.endpoint.active:
        raise WebhookRefused("The endpoint is disabled; nothing was sent.")
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status, delivery.attempts, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, 0, timezone.now()
    delivery.created_at = timezone.now()  # a fresh day of retries
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "created_at"])
    audit_record(
        actor=actor,
        action=WEBHOOK_REPLAYED,
        object_type=WEBHOOK,
        object_id=delivery.endpoint_id,
        before=before,
        after={"delivery": str(delivery.event_id)},
    )
    transaction.on_commit(lambda: webhook_enqueue(delivery.pk), robust=True)
    return delivery


# --- emitting -------------------------------------------------------------------------------


def webhook_enqueue(delivery_id: int) -> None:
    current_app.tasks[WEBHOOK_TASK].delay(delivery_id)


def webhook_emit(*, event: str, data: dict[str, Any], partner_ids: list[int] | None = None) -> int:
    """In the caller's transaction: one delivery per active endpoint subscribed to ``event``
    (of ``partner_ids`` only, when given), sent after the commit. Returns how many."""
    endpoints = WebhookEndpoint.objects.filter(active=True, partner__status=Partner.Status.ACTIVE)
    if partner_ids is not None:
        endpoints = endpoints.filter(partner_id__in=partner_ids)
    now = timezone.now()
    payload = {"event": event, "createdAt": now.isoformat(), "data": data}
    rows = [
        WebhookDelivery(endpoint=e, event=event, payload=payload, next_attempt_at=now, created_at=now)
        for e in endpoints.only("pk", "events")
        if event in e.events
    ]
    if not rows:
        return 0
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [d.pk for d in created] if all(d.pk for d in created) else _ids_of(rows)
    transaction.on_commit(lambda: webhooks_enqueue(ids), robust=True)
    return len(rows)


def webhooks_enqueue(delivery_ids: list[int]) -> None:
    for pk in delivery_ids:
        webhook_enqueue(pk)


def _ids_of(rows: list[WebhookDelivery]) -> list[int]:
    """Backends that do not return ids from a bulk insert: find them by their event ids."""
    events = [r.event_id for r in rows]
    return list(WebhookDelivery.objects.filter(event_id__in=events).values_list("pk", flat=True))
