"""Review uploads: the request stores a partner's image encrypted and only after cheap checks;
a worker decodes it in a bounded subprocess, and the triage transaction records its hashes and
derivative (or why it was refused) and deletes the upload. Nothing is decoded in a request, no
upload reaches the broker (the task carries the report's id), and none touches disk in clear."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from matching.audit_events import IMAGE_REFUSED, MATCH_REPORT, UPLOAD_PURGED
from matching.crypto import image_decrypt, image_encrypt
from matching.images import HASH_VERSION, ProcessedImage, UploadInfo, upload_inspect
from matching.models import MatchReport, ReviewImage, ReviewUpload
from matching.sandbox import DecodeLimits, Refusal, sandbox_decode

Decoded = ProcessedImage | Refusal
EXPIRED = "upload_expired: No worker decoded the image before NCII_UPLOAD_MAX_AGE_SECONDS."


def pixel_caps() -> dict[str, int]:
    """Each format's pixel cap, never above NCII_REVIEW_IMAGE_MAX_PIXELS."""
    ceiling = settings.NCII_REVIEW_IMAGE_MAX_PIXELS
    return {fmt: min(cap, ceiling) for fmt, cap in settings.NCII_REVIEW_IMAGE_PIXEL_CAPS.items()}


def upload_check(data: bytes) -> UploadInfo:
    """What a request may check (ImageRefused, 413 or 415, at once): nothing is decoded."""
    return upload_inspect(data, max_bytes=settings.NCII_REVIEW_IMAGE_MAX_BYTES, pixel_caps=pixel_caps())


def upload_store(*, report: MatchReport, data: bytes, info: UploadInfo) -> None:
    """Keep the upload, encrypted, for the worker (in the caller's transaction)."""
    ReviewUpload.objects.create(
        report=report, ciphertext=image_encrypt(data), format=info.format, width=info.width, height=info.height
    )


def decode_limits() -> DecodeLimits:
    return DecodeLimits(
        memory_bytes=settings.NCII_DECODE_MEMORY_BYTES,
        cpu_seconds=settings.NCII_DECODE_CPU_SECONDS,
        wall_seconds=settings.NCII_DECODE_WALL_SECONDS,
        max_pixels=max(pixel_caps().values()),
    )


def upload_decode(*, report_id: int) -> Decoded | None:
    """Decode a waiting report's upload in the sandbox, outside any transaction (it may take
    seconds). None when there is nothing to decode."""
    waiting = ReviewUpload.objects.filter(report_id=report_id, report__status=MatchReport.Status.RECEIVED)
    upload = waiting.only("ciphertext").first()
    if upload is None:
        return None
    return sandbox_decode(image_decrypt(upload.ciphertext), limits=decode_limits())


def upload_apply(report: MatchReport, decoded: Decoded | None) -> None:
    """Record what the worker decoded on the report (locked by the caller's transaction) and
    delete the upload, in that transaction. A second delivery finds no upload and does nothing."""
    if decoded is None or not ReviewUpload.objects.filter(report=report).delete()[0]:
        return
    if isinstance(decoded, Refusal):
        _refusal_record(report, f"{decoded.code}: {decoded.detail}", code=decoded.code)
        return
    hashes, derivative = decoded.hashes, decoded.derivative
    report.content_pdq, report.content_quality, report.content_phash = hashes.pdq, hashes.quality, hashes.phash
    report.hash_version = HASH_VERSION
    report.save(update_fields=["content_pdq", "content_quality", "content_phash", "hash_version"])
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(derivative.jpeg), width=derivative.width, height=derivative.height
    )


def _refusal_record(report: MatchReport, reason: str, *, code: str) -> None:
    report.image_refused = reason[:300]
    report.save(update_fields=["image_refused"])
    audit_record(
        actor=Actor.system("worker"),
        action=IMAGE_REFUSED,
        object_type=MATCH_REPORT,
        object_id=report.pk,
        after={"code": code},
    )


def uploads_purge(*, max_age_seconds: int, limit: int = 1000) -> int:
    """Delete uploads a crash left behind (audited); their reports say the image expired."""
    cutoff = timezone.now() - timedelta(seconds=max_age_seconds)
    due = ReviewUpload.objects.filter(created_at__lt=cutoff).values_list("pk", "report_id")[:limit]
    purged = 0
    for upload_id, report_id in due:
        with transaction.atomic():
            MatchReport.objects.select_for_update().filter(pk=report_id).first()  # as triage does: report first
            if not ReviewUpload.objects.filter(pk=upload_id).delete()[0]:
                continue  # a worker got there first
            MatchReport.objects.filter(pk=report_id).update(image_refused=EXPIRED)
            audit_record(
                actor=Actor.system("sweeper"), action=UPLOAD_PURGED, object_type=MATCH_REPORT, object_id=report_id
            )
            purged += 1
    return purged
