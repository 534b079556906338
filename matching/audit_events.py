"""What the audit trail records about the bank and match reports: object types and action
names."""

BANK_HASH = "matching.bankhash"
MATCH_REPORT = "matching.matchreport"
IDEMPOTENCY_RECORD = "matching.idempotencyrecord"
SANDBOX_REPORT = "matching.sandboxreport"

BANK_IMPORTED = "bank.imported"
HASH_SUBMITTED = "hash.submitted"
HASH_FEEDBACK = "hash.feedback"
REPORT_RECEIVED = "report.received"
REPORT_FAILED = "report.failed"
REPORT_RETRIED = "report.retried"
REPORTS_REHASHED = "reports.rehashed"
IMAGE_PURGED = "image.purged"
IMAGE_REFUSED = "image.refused"  # the worker could not decode a review image (after: its code)
UPLOAD_PURGED = "upload.purged"  # an upload no worker decoded, deleted by the sweeper

NEGATIVE_HASH = "matching.negativehash"
NEGATIVE_ADDED = "negative.added"
HASH_QUARANTINED = "hash.quarantined"
HASH_QUARANTINE_RELEASED = "hash.quarantine_released"
HASH_FLOOD_WITHDRAWN = "hash.flood_withdrawn"
