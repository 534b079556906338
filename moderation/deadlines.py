"""Decision deadlines and the on-call digest. Every open item should be decided within
NCII_DECISION_DEADLINE_SECONDS of its first report; beat asks every few minutes, and when
items are within NCII_DEADLINE_WARN_SECONDS of it or past it, mails the on-call list one
digest, at most once per NCII_ALERT_EVERY_SECONDS. The last send is a database row (unique per
interval), so the spacing holds across processes and does not depend on the cache."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from moderation.models import OPEN_STATES, DeadlineDigest, ReviewItem

LISTED = 50  # item links per section of the digest


@dataclass(frozen=True)
class DeadlineSummary:
    overdue: list[int]  # item ids, soonest deadline first (at most LISTED)
    approaching: list[int]
    overdue_count: int
    approaching_count: int


def _open_opened_before(cutoff: datetime) -> QuerySet[ReviewItem]:
    return ReviewItem.objects.filter(state__in=OPEN_STATES, opened_at__lte=cutoff).order_by("opened_at", "pk")


def deadline_summary(now: datetime) -> DeadlineSummary:
    """Items past their deadline, and those within the warning of it."""
    deadline = timedelta(seconds=settings.NCII_DECISION_DEADLINE_SECONDS)
    warn = timedelta(seconds=settings.NCII_DEADLINE_WARN_SECONDS)
    overdue = _open_opened_before(now - deadline)
    approaching = _open_opened_before(now - deadline + warn).exclude(opened_at__lte=now - deadline)
    return DeadlineSummary(
        overdue=list(overdue.values_list("pk", flat=True)[:LISTED]),
        approaching=list(approaching.values_list("pk", flat=True)[:LISTED]),
        overdue_count=overdue.count(),
        approaching_count=approaching.count(),
    )


@transaction.atomic
def deadline_alerts_send(now: datetime | None = None) -> DeadlineDigest | None:
    """Mail the digest if anything is near or past its deadline, nobody was mailed within
    NCII_ALERT_EVERY_SECONDS and there is an on-call list. Returns the digest sent, if any."""
    now = now or timezone.now()
    every = settings.NCII_ALERT_EVERY_SECONDS
    recipients = settings.NCII_ONCALL_EMAILS
    last = DeadlineDigest.objects.order_by("-sent_at").first()
    if not recipients or (last and last.sent_at > now - timedelta(seconds=every)):
        return None
    summary = deadline_summary(now)
    if not (summary.overdue_count or summary.approaching_count):
        return None
    slot = int(now.timestamp()) // max(1, every)
    try:
        with transaction.atomic():  # another process took this slot: it sends, not us
            digest = DeadlineDigest.objects.create(
                sent_at=now, slot=slot, overdue=summary.overdue_count, approaching=summary.approaching_count
            )
    except IntegrityError:
        return None
    send_mail(_subject(summary), _body(summary), None, recipients)  # failing, it undoes the row
    return digest


def _subject(summary: DeadlineSummary) -> str:
    hours = settings.NCII_DEADLINE_WARN_SECONDS / 3600
    return (
        f"{settings.NCII_HUB_NAME}: {summary.overdue_count} item(s) past the decision deadline, "
        f"{summary.approaching_count} due within {hours:g} h"
    )


def _body(summary: DeadlineSummary) -> str:
    lines = [_subject(summary), ""]
    for title, ids, count in (
        ("Past the deadline", summary.overdue, summary.overdue_count),
        ("Due soon", summary.approaching, summary.approaching_count),
    ):
        if count:
            lines += [f"{title} ({count}):", *(_link(pk) for pk in ids)]
            lines += [f"... and {count - len(ids)} more"] if count > len(ids) else []
            lines.append("")
    return "\n".join(lines)


def _link(item_id: int) -> str:
    return settings.NCII_SITE_URL + reverse("moderation:item", args=[item_id])
