"""What the audit trail records about review: object types and action names."""

ITEM = "moderation.reviewitem"
MODERATOR_SETTINGS = "moderation.moderatorsettings"

ITEM_OPENED = "item.opened"
REPORT_TRIAGED = "report.triaged"
ITEM_CLAIMED = "item.claimed"
ITEM_CLAIM_EXTENDED = "item.claim_extended"
ITEM_CLAIM_RELEASED = "item.claim_released"
ITEM_CLAIM_EXPIRED = "item.claim_expired"
IMAGE_REVEALED = "image.revealed"
WELLBEING_SETTINGS_CHANGED = "wellbeing.settings_changed"
WELLBEING_BLUR_OFF_ALLOWED = "wellbeing.blur_off_allowed"
WELLBEING_BLUR_OFF_WITHDRAWN = "wellbeing.blur_off_withdrawn"
ITEM_POSSIBLE_MINOR = "item.possible_minor"  # to the child-safety team, with the reason
ITEM_MINOR_CLEARED = "item.minor_cleared"  # the child-safety team sends it back, with the reason


ITEM_CONFIRM = "item.confirm"
ITEM_DISMISS = "item.dismiss"
ITEM_ESCALATE = "item.escalate"
ITEM_REOPEN = "item.reopen"
ITEM_DECISION = {"confirm": ITEM_CONFIRM, "dismiss": ITEM_DISMISS, "escalate": ITEM_ESCALATE, "reopen": ITEM_REOPEN}
ITEM_FLOOD = "item.flood"

# Blind second review (moderation/qa_services.py). Object type QA, never ITEM, so nothing about
# it shows in an item's trail (the second reviewer must not read the first decision there).
QA = "moderation.qareview"
QA_SAMPLED = "qa.sampled"
QA_BLIND_OPENED = "qa.blind_opened"  # a senior or admin opened the blind page: decisions hidden from them
QA_SECOND = "qa.second_decision"  # after: the second outcome and code, and whether they agree
QA_RESOLVED = "qa.resolved"  # the senior moderator's decision, which stands
ITEM_QA_OVERTURN = "item.qa_overturn"  # the item's outcome changed by the senior's decision
DECISIONS_EXPORTED = "decisions.exported"  # with the filters
DECISION_EXPORT = "moderation.decisions"
