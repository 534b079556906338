"""Signed webhooks: a partner's endpoints, their signing secrets and every delivery."""

import uuid
from datetime import datetime

from django.db import models
from django.db.models import Q


class WebhookEvent(models.TextChoices):
    HASH_WITHDRAWN = "hash.withdrawn", "hash.withdrawn: a bank hash stopped being protected"
    HASH_ACTIVATED = "hash.activated", "hash.activated: a hash entered the bank (or came back)"
    HASH_QUARANTINED = "hash.quarantined", "hash.quarantined: a flood of reports; do not act automatically"
    REPORT_DECIDED = "report.decided", "report.decided: moderators decided one of your reports"


class WebhookEndpoint(models.Model):
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="the WebhookEvent values it receives")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["partner", "active"])]

    def __str__(self) -> str:
        return f"{self.partner_id} → {self.url}"


class WebhookSecret(models.Model):
    """A signing secret, encrypted at rest (the hub must sign with it, so it cannot be a
    digest). Shown once at issue; rotated like a key: the old one keeps signing, beside the
    new one, until ``expires_at``."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    key_id = models.CharField(max_length=16, unique=True)
    ciphertext = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"secret {self.key_id}"

    def is_usable(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class WebhookDelivery(models.Model):
    """One event to one endpoint. The database is the record of what is owed: a sweeper
    sends whatever is pending and due, so a lost task only delays a delivery."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        DROPPED = "dropped", "Dropped after a day of retries"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    event = models.CharField(max_length=32, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivered", "dropped"]), name="webhookdelivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhookdelivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_recent"),
            # retention finds the old delivered and dropped ones without reading the young
            models.Index(fields=["delivered_at"], condition=Q(status="delivered"), name="webhookdelivery_delivered"),
            models.Index(fields=["created_at"], condition=Q(status="dropped"), name="webhookdelivery_dropped"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
