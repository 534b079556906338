from datetime import datetime

from django.db import models
from django.db.models import Q


class Partner(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    ALLOWED_TRANSITIONS = {Status.ACTIVE: {Status.SUSPENDED}, Status.SUSPENDED: {Status.ACTIVE}}

    name = models.CharField(max_length=100, unique=True)
    display_name = models.CharField(max_length=150)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Moved forward by FetchHashes at most once a minute (partners.usage).
    last_fetch_at = models.DateTimeField(null=True, blank=True)
    # The largest PDQ distance this partner's lookups and reports accept (at most the contract's 31).
    max_distance = models.PositiveSmallIntegerField(default=31)
    # Opted in to VideoPDQ (vPDQ) records in FetchHashes and SubmitHashes; a stock client
    # that knows only ImagePDQ and VideoMD5 would choke on them.
    receives_video_pdq = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        permissions = [("manage_partner", "Can manage partner accounts and keys")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["active", "suspended"]), name="partner_status_valid"),
            models.CheckConstraint(condition=Q(max_distance__lte=31), name="partner_max_distance_valid"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PartnerKey(models.Model):
    """A partner credential. Only the SHA-256 of the key is stored: keys are 256-bit random
    tokens, so a fast hash is safe and lets each request find its key by index."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", "StopNCII subscription key"
        FETCH = "fn:FetchHashes", "Function key: FetchHashes"
        FEEDBACK = "fn:SubmitFeedback", "Function key: SubmitFeedback"
        SUBMIT = "fn:SubmitHashes", "Function key: SubmitHashes"
        API = "api", "Hub API bearer key"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a key")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set when the key is rotated out: it keeps working until then (the rotation overlap).
    expires_at = models.DateTimeField(null=True, blank=True)
    # A sandbox key reaches only the sandbox bank (partners.sandbox), never the real one.
    sandbox = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["partner", "kind"])]

    def __str__(self) -> str:
        return f"{self.partner.name} {self.kind} {self.prefix}…"

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PartnerUsage(models.Model):
    """A partner's exchange calls on one (UTC) day, counted in place with F() increments by
    the request itself: one UPDATE per call, one row per partner, day and kind."""

    class Kind(models.TextChoices):
        FETCH = "fetch", "FetchHashes"
        FEEDBACK = "feedback", "SubmitFeedback"
        SUBMIT = "submit", "SubmitHashes"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    calls = models.PositiveBigIntegerField(default=0)
    records = models.PositiveBigIntegerField(default=0, help_text="hash records fetched or sent")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "day", "kind"], name="partnerusage_one_per_day"),
            models.CheckConstraint(
                condition=Q(kind__in=["fetch", "feedback", "submit"]), name="partnerusage_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day} {self.kind}: {self.calls}"


from partners.webhook_models import WebhookDelivery, WebhookEndpoint, WebhookSecret  # noqa: E402

__all__ = ["Partner", "PartnerKey", "PartnerUsage", "WebhookDelivery", "WebhookEndpoint", "WebhookSecret"]
