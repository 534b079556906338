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
Keyframes = dict[int, Decoded]  # by position: keyframe 0 is the report's `image`
EXPIRED = "upload_expired: No worker decoded the image before NCII_UPLOAD_MAX_AGE_SECONDS."


def pixel_caps() -> dict[str, int]:
    """Each format's pixel cap, never above NCII_REVIEW_IMAGE_MAX_PIXELS."""
    ceiling = settings.NCII_REVIEW_IMAGE_MAX_PIXELS
    return {fmt: min(cap, ceiling) for fmt, cap in settings.NCII_REVIEW_IMAGE_PIXEL_CAPS.items()}


def upload_check(data: bytes) -> UploadInfo:
    """What a request may check (ImageRefused, 413 or 415, at once): nothing is decoded."""
    return upload_inspect(data, max_bytes=settings.NCII_REVIEW_IMAGE_MAX_BYTES, pixel_caps=pixel_caps())


def upload_store(*, report: MatchReport, data: bytes, info: UploadInfo, position: int = 0) -> None:
    """Keep the upload, encrypted, for the worker (in the caller's transaction)."""
    ReviewUpload.objects.create(
        report=report,
        position=position,
        ciphertext=image_encrypt(data),
        format=info.format,
        width=info.width,
        height=info.height,
    )


def decode_limits() -> DecodeLimits:
    return DecodeLimits(
        memory_bytes=settings.NCII_DECODE_MEMORY_BYTES,
        cpu_seconds=settings.NCII_DECODE_CPU_SECONDS,
        wall_seconds=settings.NCII_DECODE_WALL_SECONDS,
        max_pixels=max(pixel_caps().values()),
    )


def upload_decode(*, report_id: int) -> Keyframes | None:
    """Decode a waiting report's uploads in the sandbox, one subprocess each, outside any
    transaction (it may take seconds). None when there is nothing to decode."""
    waiting = ReviewUpload.objects.filter(report_id=report_id, report__status=MatchReport.Status.RECEIVED)
    positions = list(waiting.order_by("position").values_list("pk", "position"))
    if not positions:
        return None
    limits = decode_limits()
    decoded: Keyframes = {}
    for upload_id, position in positions:
        upload = ReviewUpload.objects.filter(pk=upload_id).only("ciphertext").first()
        if upload is not None:  # one at a time: six keyframes are never all in memory, decrypted
            decoded[position] = sandbox_decode(image_decrypt(upload.ciphertext), limits=limits)
    return decoded


def upload_apply(report: MatchReport, decoded: Keyframes | Decoded | None) -> None:
    """Record what the worker decoded on the report (locked by the caller's transaction) and
    delete its uploads, in that transaction. A second delivery finds no upload and does nothing.
    The first keyframe that decoded gives the report's content hashes (dedup, the claim
    check); each refused one is recorded without losing the others."""
    if decoded is None or not ReviewUpload.objects.filter(report=report).delete()[0]:
        return
    keyframes = decoded if isinstance(decoded, dict) else {0: decoded}
    refusals = {p: d for p, d in sorted(keyframes.items()) if isinstance(d, Refusal)}
    images = {p: d for p, d in sorted(keyframes.items()) if isinstance(d, ProcessedImage)}
    for position, image in images.items():
        ReviewImage.objects.create(
            report=report,
            position=position,
            ciphertext=image_encrypt(image.derivative.jpeg),
            width=image.derivative.width,
            height=image.derivative.height,
            pdq=image.hashes.pdq,
        )
    if images:
        hashes = next(iter(images.values())).hashes
        report.content_pdq, report.content_quality, report.content_phash = hashes.pdq, hashes.quality, hashes.phash
        report.hash_version = HASH_VERSION
        report.save(update_fields=["content_pdq", "content_quality", "content_phash", "hash_version"])
    if refusals:
        _refusals_record(report, refusals, several=len(keyframes) > 1)


def _refusals_record(report: MatchReport, refusals: dict[int, Refusal], *, several: bool) -> None:
    """One audit event per refused keyframe; the report says why ("keyframe 2: code: …" when
    it sent several)."""
    reasons = [(f"keyframe {p}: " if several else "") + f"{r.code}: {r.detail}" for p, r in refusals.items()]
    report.image_refused = "; ".join(reasons)[:300]
    report.save(update_fields=["image_refused"])
    for position, refusal in refusals.items():
        audit_record(
            actor=Actor.system("worker"),
            action=IMAGE_REFUSED,
            object_type=MATCH_REPORT,
            object_id=report.pk,
            after={"code": refusal.code} | ({"keyframe": position} if several else {}),
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
