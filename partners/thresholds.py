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


def partner_threshold_set(*, partner_id: int, max_distance: int, actor: Actor) -> Partner:
    limit = settings.NCII_PDQ_MATCH_DISTANCE
    if not 0 <= max_distance <= limit:
        raise ThresholdRefused(f"The maximum distance is a whole number from 0 to {limit}; nothing was changed.")
    return _partner_setting_set(partner_id, "max_distance", max_distance, PARTNER_THRESHOLD_SET, actor)


def partner_video_pdq_set(*, partner_id: int, enabled: bool, actor: Actor) -> Partner:
    """Opt the partner in to (or out of) VideoPDQ in FetchHashes and SubmitHashes. Its next
    walk from any checkpoint includes (or leaves out) every video; a stock StopNCII client,
    which knows only ImagePDQ and VideoMD5, must stay opted out."""
    return _partner_setting_set(partner_id, "receives_video_pdq", enabled, PARTNER_VIDEO_PDQ_SET, actor)


@transaction.atomic(durable=True)
def _partner_setting_set(partner_id: int, field: str, value: object, action: str, actor: Actor) -> Partner:
    """One partner setting changed under the partner's row lock, audited with before and after."""
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    before = getattr(partner, field)
    setattr(partner, field, value)
    partner.save(update_fields=[field])
    audit_record(
        actor=actor,
        action=action,
        object_type=PARTNER,
        object_id=partner.pk,
        before={field: before},
        after={field: value},
    )
    return partner
