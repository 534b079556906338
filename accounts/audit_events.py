"""What the audit trail records about staff accounts: object type and action names."""

USER = "auth.user"

STAFF_2FA_ENROLLED = "staff.2fa_enrolled"
STAFF_2FA_RECOVERY_CODE_USED = "staff.2fa_recovery_code_used"
STAFF_2FA_RECOVERY_CODES_RENEWED = "staff.2fa_recovery_codes_renewed"
