import uuid

from django.db import models
from django.db.models import Q

from matching.signal_types import SignalType
from partners.models import Partner

SIGNAL_CHOICES = [(s.value, s.value) for s in SignalType]


class BankHash(models.Model):
    """One record per distinct (signal type, hash value). Every change to anything a partner
    sees of it (status, case links, feedback) moves ``modified_at`` forward."""

    class Status(models.TextChoices):
        ACTIVE = "Active", "Active"
        WITHDRAWN = "Withdrawn", "Withdrawn"

    class Source(models.TextChoices):
        CASE = "case", "Victim case"
        IMPORT = "import", "Bulk import"
        PARTNER = "partner", "Partner submission"

    signal_type = models.CharField(max_length=16, choices=SIGNAL_CHOICES)
    value = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CASE)
    source_name = models.CharField(max_length=150, blank=True)
    # Opaque case references -> case status; written by the cases app, read by the exchange.
    case_refs = models.JSONField(default=dict, blank=True)
    # Near-duplicate hashes from different cases share a cluster (the id of its first hash), so
    # moderators see related cases. Identical hashes are one record, not a cluster.
    # Its index is partial (bankhash_cluster): most hashes join no cluster, and an index entry for
    # each NULL would be written by every import for no query.
    cluster = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField()  # indexed by bankhash_keyset, which leads with it
    # What partners call this hash (lookups, webhooks): opaque, stable, reveals no count.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set while a flood of reports holds the hash for a senior's decision (matching.quarantine).
    quarantined_at = models.DateTimeField(null=True, blank=True)
    # A VideoPDQ's canonical vPDQ serialisation (its ``value`` is this text's SHA-256); else blank
    # (also in the database's own default, for the raw COPY of import_hashes).
    video = models.TextField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signal_type", "value"], name="bankhash_unique_value"),
            models.CheckConstraint(condition=Q(status__in=["Active", "Withdrawn"]), name="bankhash_status_valid"),
            models.CheckConstraint(
                condition=Q(signal_type__in=["ImagePDQ", "VideoMD5", "VideoPDQ"]), name="bankhash_signal_valid"
            ),
        ]
        indexes = [
            # The feed's keyset walk, and every "changed since" read (the index's delta, the
            # builder's if-changed check, rollups): no index on modified_at alone is needed.
            models.Index(fields=["modified_at", "id"], name="bankhash_keyset"),
            # Cluster members (moderation) and SET_NULL when a cluster's first hash is deleted.
            models.Index(fields=["cluster"], condition=Q(cluster__isnull=False), name="bankhash_cluster"),
            # Metrics: withdrawals per week (a few percent of the bank).
            models.Index(fields=["modified_at"], condition=Q(status="Withdrawn"), name="bankhash_withdrawn"),
        ]

    def __str__(self) -> str:
        return f"{self.signal_type}:{self.value[:12]}…"


class VideoFrame(models.Model):
    """One sampled frame of a VideoPDQ bank hash. ``indexed``: its hash is in the frame index
    (not a repeat of an earlier frame's hash, not degenerate); matching also drops frames below
    NCII_VPDQ_QUALITY_MIN, at query time."""

    bank_hash = models.ForeignKey(BankHash, on_delete=models.CASCADE, related_name="frames")
    position = models.PositiveIntegerField()
    pdq = models.CharField(max_length=64)
    quality = models.PositiveSmallIntegerField()
    timestamp = models.FloatField()
    indexed = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bank_hash", "position"], name="videoframe_position")]
        indexes = [models.Index(fields=["bank_hash"], condition=Q(indexed=True), name="videoframe_indexed")]

    def __str__(self) -> str:
        return f"frame {self.position} of {self.bank_hash_id}"


class HashFeedback(models.Model):
    """A partner's (or, with no partner, the hub's own) current verdict on a bank hash.
    History is in the audit trail."""

    class Value(models.TextChoices):
        NONE = "None"
        QUALITY_UNKNOWN = "QualityUnknown"
        PENDING_REVIEW = "PendingReview"
        BLOCKED = "Blocked"
        NOT_BLOCKED = "NotBlocked"
        WITHDRAWN = "Withdrawn"
        DELETED = "Deleted"

    bank_hash = models.ForeignKey(BankHash, on_delete=models.CASCADE, related_name="feedback")
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=16, choices=Value.choices)
    tags = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bank_hash", "partner"], condition=Q(partner__isnull=False), name="feedback_one_per_partner"
            ),
            models.UniqueConstraint(fields=["bank_hash"], condition=Q(partner__isnull=True), name="feedback_one_hub"),
        ]

    def __str__(self) -> str:
        return f"{self.partner or 'hub'}: {self.value}"


class MatchReport(models.Model):
    """A partner's report that content on its platform matched a bank hash."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        FAILED = "failed", "Failed"

    class Channel(models.TextChoices):
        API = "api", "Hub API"
        EXCHANGE = "exchange", "StopNCII PendingReview feedback"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending review"
        ESCALATED = "escalated", "Escalated"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="reports")
    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="reports")
    signal_type = models.CharField(max_length=16, choices=SIGNAL_CHOICES)
    hash_value = models.CharField(max_length=64)
    distance = models.PositiveSmallIntegerField()
    content_id = models.CharField(max_length=255, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.API)
    context = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The moderator's note on the outcome, copied here only when they shared it with partners.
    decision_note = models.TextField(blank=True)
    # What the worker recomputed from the review image, when there is one.
    content_pdq = models.CharField(max_length=64, blank=True)
    content_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    content_phash = models.CharField(max_length=16, blank=True)
    claim_distance = models.PositiveSmallIntegerField(null=True, blank=True, help_text="claimed vs recomputed PDQ")
    hash_mismatch = models.BooleanField(default=False)
    low_quality = models.BooleanField(default=False)
    hash_version = models.PositiveSmallIntegerField(default=0)
    hashed_from_derivative = models.BooleanField(default=False, help_text="re-hashed from the stored derivative")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # When the sweeper (or a retry) last handed the report to the broker; null: only at intake.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    image_sent = models.BooleanField(default=False, help_text="the partner sent a review image")
    # Why the worker could not decode the review image ("code: sentence"); blank when it could.
    image_refused = models.CharField(max_length=300, blank=True)
    # A VideoPDQ report: its canonical vPDQ (``hash_value`` is its SHA-256) and the share of
    # its frames and of the bank video's frames that matched.
    video = models.TextField(blank=True, default="", db_default="")
    video_query_pct = models.FloatField(null=True, blank=True)
    video_target_pct = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(distance__lte=256), name="report_distance_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["received", "processed", "failed"]), name="report_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"report {self.pk} from {self.partner_id}"


class ReviewImage(models.Model):
    """The only copy of a partner's review image the hub keeps: a metadata-free, downscaled
    re-encode, encrypted at rest. The bytes partners send are never stored. A video report
    may have several (its keyframes, in ``position`` order), each with its PDQ and its
    distance to the nearest frame the partner claimed."""

    report = models.ForeignKey(MatchReport, on_delete=models.CASCADE, related_name="review_images")
    position = models.PositiveSmallIntegerField(default=0)
    ciphertext = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    pdq = models.CharField(max_length=64, blank=True)
    claim_distance = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="review_image_position")]

    def __str__(self) -> str:
        return f"review image {self.position} of report {self.report_id}"


class ReviewUpload(models.Model):
    """A review image as the partner sent it, waiting for a worker to decode it: encrypted
    (``NCII_IMAGE_KEYS``), and deleted in the transaction that records its hashes and
    derivative. The sweeper purges one a crash left behind after NCII_UPLOAD_MAX_AGE_SECONDS.
    A video report's keyframes are one upload each, in ``position`` order."""

    report = models.ForeignKey(MatchReport, on_delete=models.CASCADE, related_name="uploads")
    position = models.PositiveSmallIntegerField(default=0)
    ciphertext = models.BinaryField()
    format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "position"], name="review_upload_position")]

    def __str__(self) -> str:
        return f"upload {self.position} of report {self.report_id}"


class IdempotencyRecord(models.Model):
    """A partner's Idempotency-Key: reserved before the work, completed with the response
    it replays. The unique constraint is what makes fifty concurrent posts one report."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", "In flight"
        DONE = "done", "Done"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_digest = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    report = models.ForeignKey(MatchReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="idempotency_key_per_partner")]

    def __str__(self) -> str:
        return f"{self.partner_id}:{self.key} ({self.state})"


class NegativeHash(models.Model):
    """A hash of content known to be benign (a blank frame, a meme): it can never enter the
    bank again or match a report; PDQ hashes within NCII_NEGATIVE_PDQ_DISTANCE are covered."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Added by an admin"
        FLOOD = "flood", "A dismissed flood"

    signal_type = models.CharField(max_length=16, choices=SIGNAL_CHOICES)
    value = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices)
    reason = models.TextField()
    added_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["signal_type", "value"], name="negativehash_unique_value"),
            models.CheckConstraint(condition=Q(source__in=["admin", "flood"]), name="negativehash_source_valid"),
        ]

    def __str__(self) -> str:
        return f"benign {self.signal_type}:{self.value[:12]}…"


from matching.sandbox_models import SandboxReport  # noqa: E402

__all__ = [
    "BankHash",
    "HashFeedback",
    "IdempotencyRecord",
    "MatchReport",
    "NegativeHash",
    "ReviewImage",
    "SandboxReport",
    "VideoFrame",
]
