"""Counting partners' exchange calls on the request path. It must stay cheap: one UPDATE of
the day's counter row (an INSERT only for the day's first call), and the partner's last
fetch time written at most once a minute. Counters are statistics, not changes, so no audit."""

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from audit.retention import retention_delete
from partners.models import Partner, PartnerUsage

LAST_FETCH_RESOLUTION = timedelta(minutes=1)
logger = logging.getLogger(__name__)


def usage_record(*, partner: Partner, kind: str, records: int) -> None:
    """Count one successful call of ``kind`` that fetched or sent ``records`` hash records."""
    today = timezone.now().date()  # UTC
    if not _usage_bump(partner_id=partner.pk, day=today, kind=kind, records=records):
        try:
            with transaction.atomic():
                PartnerUsage.objects.create(partner=partner, day=today, kind=kind, calls=1, records=records)
        except IntegrityError:  # another request created today's row first
            _usage_bump(partner_id=partner.pk, day=today, kind=kind, records=records)
    if kind == PartnerUsage.Kind.FETCH:
        _last_fetch_touch(partner)


def usage_record_for_read(*, partner: Partner, kind: str, records: int) -> None:
    """``usage_record`` after a read: a counter must never fail the call it counts, so when the
    database cannot take the write (SQLite busy with another request's long batch) the call
    goes uncounted, with a warning."""
    try:
        with transaction.atomic():
            usage_record(partner=partner, kind=kind, records=records)
    except OperationalError:
        logger.warning("Usage of partner %s not counted: the database was busy.", partner.pk)


def _usage_bump(*, partner_id: int, day: date, kind: str, records: int) -> int:
    rows = PartnerUsage.objects.filter(partner_id=partner_id, day=day, kind=kind)
    return rows.update(calls=F("calls") + 1, records=F("records") + records)


def _last_fetch_touch(partner: Partner) -> None:
    """The partner row came with the key, so a fresh enough time costs no query at all."""
    now = timezone.now()
    if partner.last_fetch_at is not None and now - partner.last_fetch_at < LAST_FETCH_RESOLUTION:
        return
    stale = Q(last_fetch_at__isnull=True) | Q(last_fetch_at__lt=now - LAST_FETCH_RESOLUTION)
    Partner.objects.filter(stale, pk=partner.pk).update(last_fetch_at=now)


def usage_purge(*, cutoff: datetime, limit: int) -> int:
    """Delete daily usage counters of days before ``cutoff`` (retention)."""
    due = PartnerUsage.objects.filter(day__lt=cutoff.date())
    return retention_delete(
        due=due, kind="partner_usage", object_type="partners.partnerusage", cutoff=cutoff, limit=limit
    )
