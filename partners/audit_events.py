"""What the audit trail records about partners and their keys: object type and action names."""

PARTNER = "partners.partner"

PARTNER_CREATED = "partner.created"
PARTNER_STATUS_CHANGED = "partner.status_changed"
KEY_ISSUED = "partner.key_issued"
KEY_ROTATED = "partner.key_rotated"
KEY_REVOKED = "partner.key_revoked"

WEBHOOK = "partners.webhookendpoint"
WEBHOOK_CREATED = "webhook.created"
WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an action name
WEBHOOK_DISABLED = "webhook.disabled"
WEBHOOK_REPLAYED = "webhook.replayed"
WEBHOOK_DROPPED = "webhook.dropped"
WEBHOOK_DELIVERY = "partners.webhookdelivery"
PARTNER_THRESHOLD_SET = "partner.threshold_set"
PARTNER_VIDEO_PDQ_SET = "partner.video_pdq_set"
