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

    class Meta:
        permissions = [("work_case", "Can find and work victims' cases")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["active", "withdrawn"]), name="case_status_valid"),
        ]

    def __str__(self) -> str:
        return f"case {self.reference}"


class CaseHash(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="hash_links")
    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="case_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "bank_hash"], name="casehash_unique")]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.bank_hash_id}"
