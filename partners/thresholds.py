"""A partner's own match threshold: the largest PDQ distance its lookups and reports accept."""

from django.conf import settings
from django.db import transaction

from audit.services import Actor, audit_record
from ncii_site.errors import DomainError
from partners.audit_events import PARTNER, PARTNER_THRESHOLD_SET
from partners.models import Partner


class ThresholdRefused(DomainError, ValueError):
    code = "invalid_threshold"
    status = 400


@transaction.atomic(durable=True)
def partner_threshold_set(*, partner_id: int, max_distance: int, actor: Actor) -> Partner:
    limit = settings.NCII_PDQ_MATCH_DISTANCE
    if not 0 <= max_distance <= limit:
        raise ThresholdRefused(f"The maximum distance is a whole number from 0 to {limit}; nothing was changed.")
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    before = partner.max_distance
    partner.max_distance = max_distance
    partner.save(update_fields=["max_distance"])
    audit_record(
        actor=actor,
        action=PARTNER_THRESHOLD_SET,
        object_type=PARTNER,
        object_id=partner.pk,
        before={"max_distance": before},
        after={"max_distance": max_distance},
    )
    return partner
