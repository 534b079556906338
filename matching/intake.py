"""Match intake: a partner's report that content on its platform matched the bank, by the
hub API or by StopNCII PendingReview feedback. Stored reports go to moderation's triage.

A review image gets only cheap checks here (matching.review_uploads); it is stored encrypted
and decoded by the worker, which keeps only its encrypted, metadata-free derivative."""

import hashlib
import json
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.audit_events import MATCH_REPORT, REPORT_FAILED, REPORT_RECEIVED, REPORT_RETRIED
from matching.hamming import hamming_distance
from matching.images import ImageRefused, UploadInfo
from matching.models import BankHash, IdempotencyRecord, MatchReport, ReviewImage
from matching.negative_bank import negative_refuse_covered
from matching.review_uploads import upload_check, upload_store
from matching.selectors import bank_match_best
from matching.signal_types import SignalType, hash_normalise
from matching.video import VideoInput, video_input_validate, video_match_best
from ncii_site.errors import DomainError
from partners.models import Partner


class NoBankMatch(DomainError):
    code = "no_bank_match"
    status = 422


class IdempotencyMismatch(DomainError):
    code = "idempotency_mismatch"
    status = 422


class IdempotencyInFlight(DomainError):
    code = "idempotency_in_flight"


class KeyframesRefused(DomainError):
    code = "invalid_keyframes"
    status = 400


def _request_digest(**fields: Any) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def partner_radius(partner: Partner) -> int:
    """The partner's own PDQ threshold, never past the contract's."""
    return min(partner.max_distance, settings.NCII_PDQ_MATCH_DISTANCE)


def report_enqueue(report_id: int) -> None:
    """Hand a stored report to the review pipeline. The task is named, not imported:
    it belongs to the moderation app, which sits above this one."""
    current_app.tasks[settings.NCII_REPORT_TASK].delay(report_id)


def idempotency_reserve(*, partner: Partner, key: str, digest: str) -> IdempotencyRecord | MatchReport:
    """Reserve the key before doing the work (committed at once), or return the report an
    earlier request with this key made. A reservation abandoned by a crash is taken over; one
    freed (its request refused) between our insert and our read is tried again."""
    for _ in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    partner=partner, key=key, request_digest=digest, created_at=timezone.now()
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.select_related("report").filter(partner=partner, key=key).first()
        if existing is not None:
            return _idempotency_existing(existing, digest)
    raise IdempotencyInFlight("A request with this Idempotency-Key is still being processed; retry shortly.")


def _idempotency_existing(existing: IdempotencyRecord, digest: str) -> IdempotencyRecord | MatchReport:
    if existing.request_digest != digest:
        raise IdempotencyMismatch("This Idempotency-Key was already used with a different request.")
    if existing.state == IdempotencyRecord.State.DONE and existing.report is not None:
        return existing.report
    stale = timezone.now() - timedelta(seconds=settings.NCII_IDEMPOTENCY_STALE_SECONDS)
    taken = IdempotencyRecord.objects.filter(pk=existing.pk, state="in_flight", created_at__lt=stale)
    if taken.update(created_at=timezone.now()):
        return existing
    raise IdempotencyInFlight("A request with this Idempotency-Key is still being processed; retry shortly.")


def report_ingest(
    *,
    partner: Partner,
    signal_type: str,
    hash_value: str,
    content_id: str,
    context: str = "",
    image: bytes | None = None,
    keyframes: list[bytes] | None = None,
    idempotency_key: str | None = None,
) -> tuple[MatchReport, bool]:
    """Store a partner's match report (and its review images, encrypted, for the worker) and
    queue it for review. Returns (report, created); a repeated Idempotency-Key returns the
    first report. A VideoPDQ's ``hash_value`` is its vPDQ frames; the report keeps them and
    its key, and it may carry keyframes (``image``, if sent, is keyframe 0)."""
    video = video_input_validate(hash_value) if signal_type == SignalType.VPDQ else None
    value = video.key if video else hash_normalise(signal_type, hash_value)
    images = _review_images(image, keyframes or [], video=video is not None)
    image_digest = hashlib.sha256(image).hexdigest() if image is not None else None
    digests = {"keyframes": [hashlib.sha256(k).hexdigest() for k in keyframes]} if keyframes else {}
    digest = _request_digest(
        signal_type=signal_type, hash_value=value, content_id=content_id, context=context, image=image_digest, **digests
    )
    reservation = idempotency_reserve(partner=partner, key=idempotency_key, digest=digest) if idempotency_key else None
    if isinstance(reservation, MatchReport):
        return reservation, False
    try:
        return _ingest(partner, signal_type, value, video, content_id, context, images, reservation), True
    except Exception:
        if reservation is not None:
            reservation.delete()  # refused or failed: the key may be used again
        raise


def _ingest(
    partner: Partner,
    signal_type: str,
    value: str,
    video: VideoInput | None,
    content_id: str,
    context: str,
    images: list[tuple[str, bytes]],
    reservation: IdempotencyRecord | None,
) -> MatchReport:
    uploads = _uploads_check(images)  # cheap checks only: 413/415 at once, naming the keyframe
    bank_hash, distance, extra = _bank_match(partner, signal_type, value, video)
    negative_refuse_covered(signal_type=signal_type, value=value)
    with transaction.atomic(durable=True):
        report = report_store(
            partner=partner,
            bank_hash=bank_hash,
            hash_value=value,
            distance=distance,
            content_id=content_id,
            context=context,
            image_sent=bool(uploads),
            **extra,
        )
        for position, (data, info) in enumerate(uploads):
            upload_store(report=report, data=data, info=info, position=position)
        if reservation is not None:
            IdempotencyRecord.objects.filter(pk=reservation.pk).update(state="done", report=report)
    return report


def _review_images(image: bytes | None, keyframes: list[bytes], *, video: bool) -> list[tuple[str, bytes]]:
    """The report's review images in order, each named as the request named it."""
    if keyframes and not video:
        raise KeyframesRefused("Only a VideoPDQ report carries keyframes; send one image.")
    named = ([("image", image)] if image is not None else []) + [(f"keyframes.{i}", k) for i, k in enumerate(keyframes)]
    if len(named) > settings.NCII_REVIEW_KEYFRAMES_MAX:
        raise KeyframesRefused(
            f"At most {settings.NCII_REVIEW_KEYFRAMES_MAX} keyframes (the image counts as one); "
            f"{len(named)} were sent. Nothing was stored."
        )
    return named


def _uploads_check(images: list[tuple[str, bytes]]) -> list[tuple[bytes, UploadInfo]]:
    """Every image's cheap checks, before anything is written; a refusal names the keyframe."""
    checked = []
    for name, data in images:
        try:
            checked.append((data, upload_check(data)))
        except ImageRefused as exc:
            if len(images) == 1 and name == "image":
                raise  # a single image's refusal reads as it always has
            raise ImageRefused(exc.code, f"{name}: {exc} Nothing was stored.") from None
    return checked


def _bank_match(
    partner: Partner, signal_type: str, value: str, video: VideoInput | None
) -> tuple[BankHash, int, dict[str, Any]]:
    """The bank hash a report is about, its distance, and a video's match figures."""
    if video is None:
        match = bank_match_best(signal_type=signal_type, value=value, radius=partner_radius(partner))
        if match is None:
            raise NoBankMatch(
                "The hash matches nothing in the bank within your distance threshold; nothing was stored."
            )
        return match.bank_hash, match.distance, {}
    found = video_match_best(video)
    if found is None:
        raise NoBankMatch("The video matches no bank video at the hub's VideoPDQ thresholds; nothing was stored.")
    figures = {"video": video.canonical, "video_query_pct": found.query_pct, "video_target_pct": found.target_pct}
    return found.bank_hash, 0, figures


def report_store(
    *, partner: Partner, bank_hash: BankHash, hash_value: str, distance: int, **fields: Any
) -> MatchReport:
    """Write a report and its audit event in the caller's transaction; queue triage on commit."""
    report = MatchReport.objects.create(
        partner=partner,
        bank_hash=bank_hash,
        signal_type=bank_hash.signal_type,
        hash_value=hash_value,
        distance=distance,
        **fields,
    )
    audit_record(
        actor=Actor.partner(partner_id=partner.pk, name=partner.name),
        action=REPORT_RECEIVED,
        object_type=MATCH_REPORT,
        object_id=report.pk,
        after={
            "bank_hash": bank_hash.pk,
            "distance": distance,
            "channel": report.channel,
            "image": bool(fields.get("image_sent")),
        },
    )
    transaction.on_commit(lambda: report_enqueue(report.pk), robust=True)
    return report


def report_from_feedback(*, partner: Partner, bank_hash: BankHash) -> MatchReport | None:
    """A StopNCII partner's PendingReview feedback: "we matched this". It enters review like a
    hub API report without an image, once while the partner's earlier one is still open. As
    there, only an active hash is reviewed: a withdrawn one is no one's to protect any more
    (the feedback itself is still recorded)."""
    if bank_hash.status != BankHash.Status.ACTIVE:
        return None
    open_outcomes = [MatchReport.Outcome.PENDING, MatchReport.Outcome.ESCALATED]
    if MatchReport.objects.filter(partner=partner, bank_hash=bank_hash, outcome__in=open_outcomes).exists():
        return None
    return report_store(
        partner=partner,
        bank_hash=bank_hash,
        hash_value=bank_hash.value,
        distance=0,
        channel=MatchReport.Channel.EXCHANGE,
    )


def report_verify(report: MatchReport) -> None:
    """Compare the partner's claimed hash with the PDQ the hub recomputed from the review
    image (in the caller's transaction; the caller saves). A claim far from its own image is
    flagged, not trusted; so is an image too plain to hash reliably. A video report's images
    are keyframes: each must be within the distance of some frame the partner claimed; each
    keeps its nearest distance, and the report the farthest of them."""
    if not report.content_pdq:
        return
    if report.signal_type == SignalType.PDQ:
        report.claim_distance = hamming_distance(report.hash_value, report.content_pdq)
    elif report.signal_type == SignalType.VPDQ and report.video:
        report.claim_distance = _keyframes_verify(report)
    if report.claim_distance is not None:
        report.hash_mismatch = report.claim_distance > settings.NCII_PDQ_MATCH_DISTANCE
    report.low_quality = (report.content_quality or 0) < settings.NCII_MIN_PDQ_QUALITY


def _keyframes_verify(report: MatchReport) -> int:
    """Each keyframe's distance to the nearest claimed frame, recorded on it; the farthest."""
    claimed = {frame.split(",", 1)[0] for frame in json.loads(report.video)}
    farthest = min(hamming_distance(pdq, report.content_pdq) for pdq in claimed)
    for image in ReviewImage.objects.filter(report=report).exclude(pdq="").only("pk", "pdq"):
        image.claim_distance = min(hamming_distance(pdq, image.pdq) for pdq in claimed)
        image.save(update_fields=["claim_distance"])
        farthest = max(farthest, image.claim_distance)
    return farthest


@transaction.atomic
def report_mark_failed(*, report_id: int, error: BaseException) -> None:
    """The worker gave up on a report after its retries: park it where staff can see and
    retry it. Only the error's type and message are kept (no request data)."""
    report = MatchReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.status != MatchReport.Status.RECEIVED:
        return
    report.status, report.last_error = MatchReport.Status.FAILED, f"{type(error).__name__}: {error}"[:500]
    report.save(update_fields=["status", "last_error"])
    audit_record(
        actor=Actor.system("worker"),
        action=REPORT_FAILED,
        object_type=MATCH_REPORT,
        object_id=report.pk,
        after={"error": type(error).__name__},
    )


@transaction.atomic
def report_retry(*, report_id: int, actor: Actor) -> MatchReport:
    report = MatchReport.objects.select_for_update().get(pk=report_id)
    if report.status != MatchReport.Status.FAILED:
        return report
    report.status, report.last_error, report.enqueued_at = MatchReport.Status.RECEIVED, "", timezone.now()
    report.save(update_fields=["status", "last_error", "enqueued_at"])
    audit_record(
        actor=actor,
        action=REPORT_RETRIED,
        object_type=MATCH_REPORT,
        object_id=report.pk,
        before={"status": "failed"},
        after={"status": "received"},
    )
    transaction.on_commit(lambda: report_enqueue(report.pk), robust=True)
    return report
