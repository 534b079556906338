from django.conf import settings
from django.db import models
from django.db.models import Q

from matching.models import BankHash


class Case(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Source(models.TextChoices):
        SELF = "self", "Self-service"
        HELPLINE = "helpline", "Helpline-assisted"

    ALLOWED_TRANSITIONS = {Status.ACTIVE: {Status.WITHDRAWN}, Status.WITHDRAWN: set()}

    number = models.CharField(max_length=32, unique=True, help_text="Given to the victim; never shared")
    reference = models.CharField(max_length=32, unique=True, help_text="Opaque reference partners see")
    pin_hash = models.CharField(max_length=256)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Set when a withdrawn case's remaining data was erased (cases.services.case_erase): only
    # the facts the metrics count stay (status, source, dates, the opaque reference).
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("work_case", "Can find and work victims' cases")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["active", "withdrawn"]), name="case_status_valid"),
        ]
        indexes = [models.Index(fields=["created_at"], name="case_created")]  # the metrics rollup's live tail

    def __str__(self) -> str:
        return f"case {self.reference}"


class CaseHash(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="hash_links")
    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="case_links")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="When this one hash was withdrawn from a case that stays active"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "bank_hash"], name="casehash_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.bank_hash_id}"


NOTE_MAX_CHARS = 4000


class CaseNote(models.Model):
    """A caseworker's note on a case: seen by caseworkers only, added and never edited from the
    dashboard. It may hold sensitive details, so the audit trail records its id and length only."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.case_id}"
