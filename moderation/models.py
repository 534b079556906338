from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from matching.models import BankHash, MatchReport
from partners.models import Partner


class ReviewState(models.TextChoices):
    PENDING = "pending", "Pending"
    ESCALATED = "escalated", "Escalated"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


OPEN_STATES = [ReviewState.PENDING, ReviewState.ESCALATED]


class NoteVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal: hub staff only"
    PARTNER = "partner", "Shared with the reporting partners"


# from-state -> to-states. Reopening (confirmed/dismissed -> pending) is a senior action.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    ReviewState.PENDING: {ReviewState.CONFIRMED, ReviewState.DISMISSED, ReviewState.ESCALATED},
    ReviewState.ESCALATED: {ReviewState.CONFIRMED, ReviewState.DISMISSED},
    ReviewState.CONFIRMED: {ReviewState.PENDING},
    ReviewState.DISMISSED: {ReviewState.PENDING},
}


class StaffProfile(models.Model):
    """Staff attributes beyond the role: a moderator tied to a partner sees only its items."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")

    def __str__(self) -> str:
        return f"{self.user} ({self.partner or 'hub'})"


class ReviewItem(models.Model):
    """What a moderator decides: one piece of matched content, with every report of it."""

    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="review_items")
    state = models.CharField(max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING)
    priority = models.PositiveIntegerField(default=0)
    partner_count = models.PositiveIntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every state change")
    opened_at = models.DateTimeField(auto_now_add=True)
    last_reported_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The standing decision's reason code (settings.NCII_REASON_CODES), free note and who
    # may read the note. Every earlier decision's code and note are in the audit trail.
    decision_code = models.CharField(max_length=32, blank=True)
    decision_note = models.TextField(blank=True)
    note_visibility = models.CharField(max_length=16, choices=NoteVisibility.choices, default=NoteVisibility.INTERNAL)
    # The content this item is about: the recomputed PDQ of its first report's review image,
    # or, without an image, the hash the partner claimed. Reports fold in by this.
    content_hash = models.CharField(max_length=64, blank=True)
    content_from_image = models.BooleanField(default=False)
    has_hash_mismatch = models.BooleanField(default=False)
    # Someone believes the item shows a person under 18: it leaves the ordinary queues for the
    # child-safety team's (moderation/minor_services.py); the reason is in the audit trail.
    possible_minor = models.BooleanField(default=False)
    # A flood of reports quarantined the bank hash: the item heads the senior queue
    # (moderation.flood); confirming releases the hash, dismissing withdraws it.
    flood = models.BooleanField(default=False)
    # Four eyes on reopen: who made the decision a senior reopened; they may not decide the
    # item again (moderation.services._check_decision). Cleared by the next decision.
    reopened_decider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        permissions = [
            ("review_item", "Can work the review queue"),
            ("review_escalated", "Can decide escalated items"),
            ("reopen_item", "Can reopen decided items"),
            ("view_metrics", "Can see the hub-wide metrics"),
            ("review_minor", "Can review items that may show a person under 18"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "escalated", "confirmed", "dismissed"]),
                name="reviewitem_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(note_visibility__in=["internal", "partner"]),
                name="reviewitem_note_visibility_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "-priority", "opened_at"], name="reviewitem_queue"),
            models.Index(fields=["bank_hash", "state"], name="reviewitem_by_hash"),
            # The metrics rollup's live tail: decisions since its cutoff.
            models.Index(fields=["decided_at"], condition=Q(decided_at__isnull=False), name="reviewitem_decided"),
        ]

    def __str__(self) -> str:
        return f"item {self.pk} ({self.state})"

    @property
    def deadline_at(self) -> datetime:
        """When the item should be decided by: NCII_DECISION_DEADLINE_SECONDS after it opened
        on its first report."""
        return self.opened_at + timedelta(seconds=settings.NCII_DECISION_DEADLINE_SECONDS)


class ModeratorSettings(models.Model):
    """A moderator's own choices for how review images reach them, kept within the limits in
    settings.NCII_WELLBEING_LIMITS. Blur may be off only where an admin allowed it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderator_settings")
    blur_radius = models.PositiveSmallIntegerField()
    reblur_seconds = models.PositiveSmallIntegerField()
    break_after_reveals = models.PositiveSmallIntegerField()
    break_after_minutes = models.PositiveSmallIntegerField()
    blur_off = models.BooleanField(default=False)
    blur_off_allowed = models.BooleanField(default=False, help_text="Set by an admin")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "moderator settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(blur_off=False) | Q(blur_off_allowed=True), name="moderatorsettings_blur_off_allowed"
            ),
        ]

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class ReviewItemReport(models.Model):
    """A report's membership of an item. A report belongs to exactly one item (DB-enforced),
    which is what makes re-running the triage task harmless."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="memberships")
    report = models.OneToOneField(MatchReport, on_delete=models.CASCADE, related_name="membership")
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.report_id} in {self.item_id}"


class QaState(models.TextChoices):
    WAITING = "waiting", "Waiting for a second moderator"
    AGREED = "agreed", "Agreed"
    DISPUTED = "disputed", "Disputed: for a senior moderator"
    RESOLVED = "resolved", "Resolved by a senior moderator"


class QaReview(models.Model):
    """A blind second review of one sampled decision (moderation/qa_services.py): a different
    moderator decides again without seeing the first decision; a disagreement goes to a senior
    moderator, whose decision stands."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="qa_reviews")
    item_version = models.PositiveIntegerField(help_text="The item's version the first decision made")
    state = models.CharField(max_length=16, choices=QaState.choices, default=QaState.WAITING)
    sampled_at = models.DateTimeField(auto_now_add=True)
    first_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_state = models.CharField(max_length=16, choices=ReviewState.choices)
    first_code = models.CharField(max_length=32)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_state = models.CharField(max_length=16, choices=ReviewState.choices, blank=True)
    second_code = models.CharField(max_length=32, blank=True)
    second_at = models.DateTimeField(null=True, blank=True)
    senior_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    final_state = models.CharField(max_length=16, choices=ReviewState.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Senior moderators and admins who opened the blind page while it waited: the first decision
    # stays hidden from them on every staff page until the review is recorded (moderation/qa_blind.py).
    blind_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "item_version"], name="qareview_one_per_decision"),
            models.CheckConstraint(
                condition=Q(state__in=["waiting", "agreed", "disputed", "resolved"]), name="qareview_state_valid"
            ),
        ]
        indexes = [models.Index(fields=["state", "sampled_at"], name="qareview_queue")]

    def __str__(self) -> str:
        return f"QA {self.pk} of item {self.item_id} ({self.state})"


class DeadlineDigest(models.Model):
    """One on-call email about items near or past their decision deadline; the newest row
    says when the next may go (NCII_ALERT_EVERY_SECONDS), for every process alike."""

    sent_at = models.DateTimeField(db_index=True)
    # sent_at // NCII_ALERT_EVERY_SECONDS: unique, so two processes deciding at once cannot
    # both send (the database refuses the second row).
    slot = models.BigIntegerField(unique=True)
    approaching = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"digest {self.sent_at:%Y-%m-%d %H:%M}"
