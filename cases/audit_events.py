"""What the audit trail records about victims' cases: object type and action names."""

CASE = "cases.case"

CASE_CREATED = "case.created"
CASE_VIEWED = "case.viewed"
CASE_WITHDRAWN = "case.withdrawn"
CASE_HASH_WITHDRAWN = "case.hash_withdrawn"
CASE_NOTE_ADDED = "case.note_added"
CASE_ERASED = "case.erased"
