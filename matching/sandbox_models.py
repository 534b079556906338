"""Reports made with sandbox keys: kept apart from MatchReport, so nothing a sandbox key
sends can reach moderators, review items or the real bank."""

from django.db import models

from matching.signal_types import SignalType
from partners.models import Partner


class SandboxReport(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="sandbox_reports")
    signal_type = models.CharField(max_length=16, choices=[(s.value, s.value) for s in SignalType])
    hash_value = models.CharField(max_length=64)
    sandbox_hash = models.CharField(max_length=64, help_text="the sandbox bank hash it matched")
    distance = models.PositiveSmallIntegerField()
    content_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16)
    received_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sandbox report {self.pk} from {self.partner_id}"
