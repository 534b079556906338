"""What the audit trail records about partners and their keys: object type and action names."""

PARTNER = "partners.partner"

PARTNER_CREATED = "partner.created"
PARTNER_STATUS_CHANGED = "partner.status_changed"
KEY_ISSUED = "partner.key_issued"
KEY_ROTATED = "partner.key_rotated"
KEY_REVOKED = "partner.key_revoked"
