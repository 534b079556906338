"""Sending webhook deliveries: signed, through the SSRF guard, retried with exponential
backoff for NCII_WEBHOOK_RETRY_SECONDS, then dropped (and shown on the partner's page).

A delivery is claimed by moving its next attempt past the request's timeout in one
conditional UPDATE, so the task sent after the commit and the sweeper never both send it;
a worker that dies mid-send leaves it due again once that lease passes.

Retention deletes delivered and dropped deliveries after their periods; a pending one, still
owed to the partner, is never deleted."""

import json
import logging
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.retention import retention_delete
from audit.services import Actor, audit_record
from partners.audit_events import WEBHOOK, WEBHOOK_DELIVERY, WEBHOOK_DROPPED
from partners.outbound import DestinationRefused, outbound_post
from partners.webhook_crypto import secret_decrypt
from partners.webhook_models import WebhookDelivery, WebhookEndpoint
from partners.webhook_signing import signature_header

logger = logging.getLogger(__name__)
SWEEP_BATCH = 500


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.NCII_WEBHOOK_TIMEOUT_SECONDS * 3 + 10)
    due = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    )
    if not due.update(next_attempt_at=lease):
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _headers(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    now = timezone.now()
    signing = [
        (s.key_id, secret_decrypt(s.ciphertext)) for s in delivery.endpoint.secrets.order_by("-pk") if s.is_usable(now)
    ]
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "ncii-hub-webhooks/1",
        "X-NCII-Event": delivery.event,
        "X-NCII-Delivery": str(delivery.event_id),
        "X-NCII-Timestamp": str(timestamp),
        "X-NCII-Signature": signature_header(secrets=signing, timestamp=timestamp, body=body),
    }


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps({"id": str(delivery.event_id), **delivery.payload}, separators=(",", ":")).encode()


def webhook_deliver(*, delivery_id: int) -> str | None:
    """One attempt at one delivery, if it is due. Returns its status after the attempt."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    body = delivery_body(delivery)
    try:
        result = outbound_post(url=delivery.endpoint.url, body=body, headers=_headers(delivery, body))
    except (DestinationRefused, urllib3.exceptions.HTTPError, OSError) as exc:
        return _attempt_failed(delivery, code=None, error=f"{type(exc).__name__}: {exc}")
    if 200 <= result.status < 300:
        return _delivered(delivery, code=result.status)
    return _attempt_failed(delivery, code=result.status, error=f"HTTP {result.status}")


def _delivered(delivery: WebhookDelivery, *, code: int) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.DELIVERED,
        attempts=delivery.attempts + 1,
        last_status_code=code,
        last_error="",
        delivered_at=timezone.now(),
    )
    return WebhookDelivery.Status.DELIVERED


def backoff_seconds(attempts: int) -> int:
    first, cap = settings.NCII_WEBHOOK_BACKOFF_SECONDS
    return int(min(cap, first * 2 ** min(attempts - 1, 30)))


@transaction.atomic
def _attempt_failed(delivery: WebhookDelivery, *, code: int | None, error: str) -> str:
    """Schedule the next try, or drop the delivery once a day of retries has passed."""
    attempts, now = delivery.attempts + 1, timezone.now()
    give_up = now - delivery.created_at >= timedelta(seconds=settings.NCII_WEBHOOK_RETRY_SECONDS)
    status = WebhookDelivery.Status.DROPPED if give_up else WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=attempts,
        last_status_code=code,
        last_error=error[:300],
        next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)),
    )
    logger.info(
        "webhook %s to endpoint %s failed (attempt %s): %s", delivery.event, delivery.endpoint_id, attempts, error[:100]
    )
    if give_up:
        audit_record(
            actor=Actor.system("webhooks"),
            action=WEBHOOK_DROPPED,
            object_type=WEBHOOK,
            object_id=delivery.endpoint_id,
            after={"delivery": str(delivery.event_id), "attempts": attempts, "event": delivery.event},
        )
    return status


def webhooks_due(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Pending deliveries whose next attempt is due, oldest first (the sweeper sends them)."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def webhook_recent(*, endpoint: WebhookEndpoint, limit: int) -> list[WebhookDelivery]:
    return list(endpoint.deliveries.order_by("-created_at", "-pk")[:limit])


def delivered_webhooks_purge(*, cutoff: datetime, limit: int) -> int:
    """Delete deliveries the endpoint accepted before ``cutoff`` (retention)."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED, delivered_at__lt=cutoff)
    return retention_delete(due=due, kind="webhook_delivered", object_type=WEBHOOK_DELIVERY, cutoff=cutoff, limit=limit)


def dropped_webhooks_purge(*, cutoff: datetime, limit: int) -> int:
    """Delete dropped deliveries made (or last replayed) before ``cutoff`` (retention)."""
    due = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DROPPED, created_at__lt=cutoff)
    return retention_delete(due=due, kind="webhook_dropped", object_type=WEBHOOK_DELIVERY, cutoff=cutoff, limit=limit)
