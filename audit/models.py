from typing import Any

from django.conf import settings
from django.db import models


class ActorType(models.TextChoices):
    USER = "user", "Staff user"
    PARTNER = "partner", "Partner platform"
    SYSTEM = "system", "System"
    PUBLIC = "public", "Member of the public"


class AuditEvent(models.Model):
    """One append-only, hash-chained entry. ``digest`` covers every other field (the reason by
    its SHA-256) and the predecessor's digest, so editing, deleting or reordering any row breaks
    the chain. The one change allowed is blanking a reason's text (audit.services.audit_reasons_erase)."""

    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_partner_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    # Events since audit 0003: the chain covers the reason's SHA-256, not its text, so
    # retention or erasure may blank the text (reason_erased_at) and the chain still verifies.
    reason_sha256 = models.CharField(max_length=64, blank=True)
    reason_erased_at = models.DateTimeField(null=True, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["action", "seq"]),
            models.Index(fields=["action", "created_at"], name="audit_action_time"),  # metrics: reveals
            # one person's events of a kind over time (image reveals today, this session)
            models.Index(fields=["actor_user", "action", "created_at"], name="audit_actor_action_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Audit events are append-only.")
