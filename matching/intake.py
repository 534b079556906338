"""Match intake: a partner's report that content on its platform matched the bank, by the
hub API or by StopNCII PendingReview feedback. Stored reports go to moderation's triage."""

import hashlib
import json
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction

from audit.services import Actor, audit_record
from matching.models import BankHash, MatchReport, Partner
from matching.selectors import bank_match_best
from matching.signals import hash_normalise


class NoBankMatch(Exception):
    pass


class IdempotencyMismatch(Exception):
    pass


def _request_digest(**fields: Any) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def report_enqueue(report_id: int) -> None:
    """Hand a stored report to the review pipeline. The task is named, not imported:
    it belongs to the moderation app, which sits above this one."""
    current_app.tasks[settings.NCII_REPORT_TASK].delay(report_id)


def report_ingest(
    *,
    partner: Partner,
    signal_type: str,
    hash_value: str,
    content_id: str,
    context: str = "",
    idempotency_key: str | None = None,
) -> tuple[MatchReport, bool]:
    """Store a partner's match report and queue it for review. Returns (report, created);
    a repeated idempotency key with the same request returns the first report."""
    value = hash_normalise(signal_type, hash_value)
    digest = _request_digest(signal_type=signal_type, hash_value=value, content_id=content_id, context=context)
    if idempotency_key:
        previous = MatchReport.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
        if previous:
            return _replay(previous, digest), False
    match = bank_match_best(signal_type=signal_type, value=value)
    if match is None:
        raise NoBankMatch("The hash matches nothing in the bank; nothing was stored.")
    try:
        with transaction.atomic(durable=True):
            report = report_store(
                partner=partner, bank_hash=match.bank_hash, hash_value=value, distance=match.distance,
                content_id=content_id, context=context, idempotency_key=idempotency_key or None,
                request_digest=digest,
            )
    except IntegrityError:
        previous = MatchReport.objects.filter(partner=partner, idempotency_key=idempotency_key).first()
        if idempotency_key and previous:
            return _replay(previous, digest), False
        raise
    return report, True


def _replay(previous: MatchReport, digest: str) -> MatchReport:
    if previous.request_digest != digest:
        raise IdempotencyMismatch("This Idempotency-Key was already used with a different request.")
    return previous


def report_store(
    *, partner: Partner, bank_hash: BankHash, hash_value: str, distance: int, **fields: Any
) -> MatchReport:
    """Write a report and its audit event in the caller's transaction; queue triage on commit."""
    report = MatchReport.objects.create(
        partner=partner, bank_hash=bank_hash, signal_type=bank_hash.signal_type, hash_value=hash_value,
        distance=distance, **fields,
    )
    audit_record(
        actor=Actor.partner(partner_id=partner.pk, name=partner.name), action="report.received",
        object_type="matching.matchreport", object_id=report.pk,
        after={"bank_hash": bank_hash.pk, "distance": distance, "channel": report.channel},
    )
    transaction.on_commit(lambda: report_enqueue(report.pk), robust=True)
    return report


def report_from_feedback(*, partner: Partner, bank_hash: BankHash) -> MatchReport | None:
    """A StopNCII partner's PendingReview feedback: "we matched this". It enters review like a
    hub API report without an image, once while the partner's earlier one is still open."""
    open_outcomes = [MatchReport.Outcome.PENDING, MatchReport.Outcome.ESCALATED]
    if MatchReport.objects.filter(partner=partner, bank_hash=bank_hash, outcome__in=open_outcomes).exists():
        return None
    return report_store(
        partner=partner, bank_hash=bank_hash, hash_value=bank_hash.value, distance=0,
        channel=MatchReport.Channel.EXCHANGE,
    )
