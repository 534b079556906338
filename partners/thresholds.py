"""A partner's own match settings: the largest PDQ distance its lookups and reports accept,
and whether it takes VideoPDQ records on the exchange."""

from django.conf import settings
from django.db import transaction

from audit.services import Actor, audit_record
from ncii_site.errors import DomainError
from partners.audit_events import PARTNER, PARTNER_THRESHOLD_SET, PARTNER_VIDEO_PDQ_SET
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


@transaction.atomic(durable=True)
def partner_video_pdq_set(*, partner_id: int, enabled: bool, actor: Actor) -> Partner:
    """Opt the partner in to (or out of) VideoPDQ in FetchHashes and SubmitHashes. Its next
    walk from any checkpoint includes (or leaves out) every video; a stock StopNCII client,
    which knows only ImagePDQ and VideoMD5, must stay opted out."""
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    before = partner.receives_video_pdq
    partner.receives_video_pdq = enabled
    partner.save(update_fields=["receives_video_pdq"])
    audit_record(
        actor=actor,
        action=PARTNER_VIDEO_PDQ_SET,
        object_type=PARTNER,
        object_id=partner.pk,
        before={"receives_video_pdq": before},
        after={"receives_video_pdq": enabled},
    )
    return partner
