"""Which decisions get a blind second review: a keyed hash of the item and the version the
decision made, below the sampling rate (the reason code's own, else the overall one). The
same decision is always sampled the same way, and no one can steer it without the key."""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import User

from audit.services import Actor, audit_record
from moderation.audit_events import QA, QA_SAMPLED
from moderation.models import QaReview, ReviewItem, ReviewState

SAMPLED_STATES = {ReviewState.CONFIRMED, ReviewState.DISMISSED}


def qa_rate(code: str) -> float:
    return settings.NCII_QA_SAMPLE_RATE_BY_REASON.get(code, settings.NCII_QA_SAMPLE_RATE)


def qa_draw(*, item_id: int, version: int) -> float:
    """A number in [0, 1) fixed by the item and version, keyed with the secret key."""
    key = f"ncii-qa-sample:{settings.SECRET_KEY}".encode()
    digest = hmac.new(key, f"{item_id}:{version}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def qa_sample(*, item: ReviewItem, moderator: User) -> QaReview | None:
    """Called inside the decision's transaction: queue a blind second review if this decision
    is sampled. Possible minors stay with the child-safety team; a flood item's decision
    releases or withdraws its hash, which a later overturn must not undo."""
    if item.state not in SAMPLED_STATES or item.possible_minor or item.flood:
        return None
    if qa_draw(item_id=item.pk, version=item.version) >= qa_rate(item.decision_code):
        return None
    review = QaReview.objects.create(
        item=item,
        item_version=item.version,
        first_by=moderator,
        first_state=item.state,
        first_code=item.decision_code,
    )
    audit_record(actor=Actor.system("qa"), action=QA_SAMPLED, object_type=QA, object_id=review.pk)
    return review
