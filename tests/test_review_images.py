"""Review images on POST /api/v1/matches: what is refused, what is kept, what is verified."""

import base64
import io
import json

import pytest
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from matching.audit_events import IMAGE_REFUSED, UPLOAD_PURGED
from matching.crypto import image_decrypt
from matching.models import IdempotencyRecord, MatchReport, ReviewImage, ReviewUpload
from matching.pdq import pdq_hex
from matching.review_uploads import uploads_purge
from moderation.models import ReviewItem
from moderation.tasks import report_process
from tests.api_helpers import MATCHES, assert_error, bearer
from tests.factories import BankHashFactory, flip_bits, partner_with_keys
from tests.images import (
    MARKER,
    encode,
    gif_bomb,
    jpeg_with_exif,
    photo_like,
    png_bomb,
    png_claiming_size,
    webp_bomb,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    def send(key: str, hash_value: str, image: bytes | None = None, *, as_json: bool = False, **headers: str):
        fields = {"signalType": "ImagePDQ", "hashValue": hash_value, "contentId": "upload-1"}
        with django_capture_on_commit_callbacks(execute=True):
            if as_json:
                body = {**fields, "image": base64.b64encode(image).decode()} if image is not None else fields
                return Client().post(MATCHES, body, content_type="application/json", **bearer(key), **headers)
            files = {"image": io.BytesIO(image)} if image is not None else {}
            return Client().post(MATCHES, {**fields, **files}, **bearer(key), **headers)

    return send


def verified(response, key: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The report as the partner reads it back once the worker has processed it."""
    assert response.status_code == 202, response.content
    return Client().get(f"{MATCHES}/{response.json()['id']}", **bearer(key)).json()


@pytest.fixture
def keys(db):  # type: ignore[no-untyped-def]
    return partner_with_keys("photoshare")[1]


def banked(image: Image.Image):  # type: ignore[no-untyped-def]
    return BankHashFactory(value=pdq_hex(image)[0])


def counts() -> tuple[int, ...]:
    models = (MatchReport, ReviewImage, ReviewUpload, ReviewItem, AuditEvent, IdempotencyRecord)
    return tuple(m.objects.count() for m in models)


@pytest.mark.parametrize("as_json", [False, True], ids=["multipart", "base64-json"])
def test_an_image_is_kept_only_as_an_encrypted_metadata_free_derivative(post, keys, as_json):
    photo = photo_like(1, (1600, 1200))
    upload = jpeg_with_exif(photo, orientation=6)  # rotated 90 degrees on display
    bank = banked(photo.transpose(Image.Transpose.ROTATE_270))  # as Pillow's exif_transpose shows it
    response = post(keys.api_key, bank.value, upload, as_json=as_json)
    assert response.json()["hashMismatch"] is None  # not verified until the worker has run
    assert verified(response, keys.api_key)["claimDistance"] <= 6  # orientation applied before hashing
    stored = ReviewImage.objects.get()
    assert MARKER not in bytes(stored.ciphertext) and not bytes(stored.ciphertext).startswith(b"\xff\xd8")
    derivative = image_decrypt(stored.ciphertext)
    assert MARKER not in derivative and b"Exif" not in derivative
    shown = Image.open(io.BytesIO(derivative))
    assert (shown.format, shown.size, (stored.width, stored.height)) == ("JPEG", (384, 512), (384, 512))
    assert not shown.getexif() and "icc_profile" not in shown.info


def test_the_claim_is_verified_against_the_image(post, keys):
    photo = photo_like(2)
    bank = banked(photo)
    body = verified(post(keys.api_key, flip_bits(bank.value, 3), encode(photo, quality=90)), keys.api_key)
    assert (body["hasImage"], body["hashMismatch"], body["lowQuality"]) == (True, False, False)
    assert body["claimDistance"] <= 3 + 6  # claimed 3 bits off; intake decoding drifts a few bits at most
    report = MatchReport.objects.get()
    assert report.content_quality >= 50 and len(report.content_phash) == 16


def test_a_claim_far_from_its_own_image_is_flagged_not_trusted(post, keys):
    bank = banked(photo_like(3))
    body = verified(post(keys.api_key, bank.value, encode(photo_like(4))), keys.api_key)  # another picture
    assert body["hashMismatch"] is True and body["claimDistance"] > 31
    assert ReviewItem.objects.get().has_hash_mismatch


def test_a_plain_image_is_recorded_as_low_quality(post, keys):
    bank = BankHashFactory()
    plain = encode(Image.new("RGB", (400, 300), (90, 90, 90)), "PNG")
    body = verified(post(keys.api_key, bank.value, plain), keys.api_key)
    assert body["lowQuality"] is True


def test_a_gif_counts_by_its_first_frame(post, keys):
    first, second = photo_like(5, (300, 200)), photo_like(6, (300, 200))
    gif = encode(first, "GIF", save_all=True, append_images=[second])
    bank = banked(Image.open(io.BytesIO(gif)).convert("RGB"))
    assert verified(post(keys.api_key, bank.value, gif), keys.api_key)["hashMismatch"] is False


# Refused by the request's cheap checks (header only, nothing decoded): 413 or 415 at once.
BAD = [
    pytest.param(b"\x00\x01 not an image at all", 415, "unsupported_image", id="not-an-image"),
    pytest.param(b"", 415, "unsupported_image", id="empty"),
    pytest.param(encode(photo_like(7), "TIFF"), 415, "unsupported_image", id="tiff"),
    pytest.param(encode(photo_like(7), "BMP"), 415, "unsupported_image", id="bmp"),
    pytest.param(png_claiming_size(100_000, 100_000), 413, "image_too_large", id="decompression-bomb"),
    pytest.param(png_claiming_size(10_000, 12_000), 413, "image_too_large", id="bomb-in-pillow-warning-band"),
    pytest.param(webp_bomb(9400, 9400), 413, "image_too_large", id="34-byte-webp-9400x9400"),
    pytest.param(png_claiming_size(4001, 4000), 413, "image_too_large", id="png-just-over-16MP"),
]


@pytest.mark.parametrize(("upload", "status", "code"), BAD)
@pytest.mark.parametrize("as_json", [False, True], ids=["multipart", "base64-json"])
def test_bad_images_are_refused_and_leave_nothing(post, keys, upload, status, code, as_json):
    bank = BankHashFactory()
    before = counts()
    assert_error(post(keys.api_key, bank.value, upload, as_json=as_json), status, code)
    assert counts() == before


@pytest.mark.parametrize("bomb", [png_bomb, gif_bomb], ids=["86KB-png", "65KB-gif"])
def test_small_files_declaring_huge_images_are_413(post, keys, bomb):
    before = counts()
    assert_error(post(keys.api_key, BankHashFactory().value, bomb()), 413, "image_too_large")
    assert counts() == before


def test_pixel_caps_are_per_format_jpeg_decodes_in_draft_mode(post, keys):
    """20 MP: over the cap of formats decoded in full, under JPEG's."""
    bank = BankHashFactory()
    assert_error(post(keys.api_key, bank.value, png_claiming_size(5000, 4000)), 413, "image_too_large")
    jpeg = encode(photo_like(17, (500, 400)).resize((5000, 4000)), quality=60)
    body = verified(post(keys.api_key, bank.value, jpeg), keys.api_key)
    assert (body["hasImage"], body["imageRefused"]) == (True, None)
    assert ReviewImage.objects.get().width == 512


def test_the_request_stores_the_upload_encrypted_and_the_worker_deletes_it(keys, django_capture_on_commit_callbacks):
    photo = photo_like(18)
    bank, upload = banked(photo), jpeg_with_exif(photo, orientation=1)
    fields = {"signalType": "ImagePDQ", "hashValue": bank.value, "contentId": "c", "image": io.BytesIO(upload)}
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        response = Client().post(MATCHES, fields, **bearer(keys.api_key))
    assert response.status_code == 202 and len(enqueued) == 1  # the task is queued on commit, by id
    stored = ReviewUpload.objects.get()
    assert MARKER not in bytes(stored.ciphertext) and image_decrypt(stored.ciphertext) == upload
    assert MatchReport.objects.get().content_pdq == ""  # nothing decoded in the request
    report_process.delay(response.json()["id"])
    assert not ReviewUpload.objects.exists() and ReviewImage.objects.count() == 1
    assert MatchReport.objects.get().content_pdq != ""


def refused_by_worker(body: dict) -> str:  # type: ignore[type-arg]
    """The worker processed the report without its image, and said why."""
    assert (body["status"], body["hasImage"], body["claimDistance"]) == ("processed", True, None)
    report = MatchReport.objects.get()
    assert not ReviewImage.objects.exists() and not ReviewUpload.objects.exists()
    assert AuditEvent.objects.filter(action=IMAGE_REFUSED, object_id=str(report.pk)).count() == 1
    assert ReviewItem.objects.get().content_from_image is False
    return body["imageRefused"]


@pytest.mark.parametrize(
    "upload",
    [encode(photo_like(7))[:6000], encode(photo_like(7), "PNG")[:-2000]],
    ids=["truncated-jpeg", "truncated-png"],
)
def test_a_corrupt_image_is_accepted_and_refused_by_the_worker(post, keys, upload):
    bank = BankHashFactory()
    assert refused_by_worker(verified(post(keys.api_key, bank.value, upload), keys.api_key)).startswith(
        "corrupt_image: "
    )


def test_a_bomb_under_the_caps_costs_one_failed_decode_within_the_memory_bound(post, keys, settings):
    settings.NCII_REVIEW_IMAGE_PIXEL_CAPS = {**settings.NCII_REVIEW_IMAGE_PIXEL_CAPS, "PNG": 100_000_000}
    settings.NCII_DECODE_MEMORY_BYTES = 300 * 1024 * 1024  # the 88 MP PNG needs 265 MB as RGB alone
    body = verified(post(keys.api_key, BankHashFactory().value, png_bomb(9400, 9400)), keys.api_key)
    assert refused_by_worker(body).startswith("decode_memory_limit: ")


def test_a_decode_past_the_cpu_bound_is_refused(post, keys, settings):
    settings.NCII_REVIEW_IMAGE_PIXEL_CAPS = {**settings.NCII_REVIEW_IMAGE_PIXEL_CAPS, "WEBP": 100_000_000}
    settings.NCII_DECODE_MEMORY_BYTES = 3 * 1024 * 1024 * 1024
    settings.NCII_DECODE_CPU_SECONDS = 1  # the 88 MP decode, PDQ and derivative need several
    body = verified(post(keys.api_key, BankHashFactory().value, webp_bomb(9400, 9400)), keys.api_key)
    assert refused_by_worker(body).startswith("decode_time_limit: ")


def test_an_upload_left_behind_is_purged_by_the_sweeper_after_its_max_age(keys, settings):
    bank = BankHashFactory()
    fields = {
        "signalType": "ImagePDQ",
        "hashValue": bank.value,
        "contentId": "c",
        "image": io.BytesIO(encode(photo_like(19))),
    }
    Client().post(MATCHES, fields, **bearer(keys.api_key))  # the task never ran (a crash)
    assert uploads_purge(max_age_seconds=3600) == 0  # not old enough
    assert uploads_purge(max_age_seconds=-1) == 1
    report = MatchReport.objects.get()
    assert not ReviewUpload.objects.exists() and report.image_refused.startswith("upload_expired: ")
    assert AuditEvent.objects.filter(action=UPLOAD_PURGED, object_id=str(report.pk)).count() == 1


def test_an_image_over_the_byte_limit_is_413(post, keys, settings):
    settings.NCII_REVIEW_IMAGE_MAX_BYTES = 5_000
    before = counts()
    assert_error(post(keys.api_key, BankHashFactory().value, encode(photo_like(8))), 413, "image_too_large")
    assert counts() == before


def test_a_body_over_the_limit_is_refused_before_it_is_read(keys, settings):
    settings.NCII_MATCH_MAX_BODY_BYTES = 10_000
    big = encode(photo_like(9, (1200, 900)), quality=95)
    response = Client().post(
        MATCHES,
        {"signalType": "ImagePDQ", "hashValue": "a" * 64, "contentId": "x", "image": io.BytesIO(big)},
        **bearer(keys.api_key),
    )
    assert_error(response, 413, "too_large")


def test_invalid_base64_is_400(keys):
    body = {"signalType": "ImagePDQ", "hashValue": BankHashFactory().value, "contentId": "x", "image": "%%%"}
    assert_error(Client().post(MATCHES, body, content_type="application/json", **bearer(keys.api_key)), 400)


def test_uploads_never_touch_the_disk(settings):
    assert settings.FILE_UPLOAD_HANDLERS == ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= settings.NCII_MATCH_MAX_BODY_BYTES


# --- dedup by content -----------------------------------------------------------------------


def test_the_same_picture_from_two_partners_folds_into_one_item(post, keys):
    photo = photo_like(10, (1200, 900))
    bank = banked(photo)
    other = partner_with_keys("cliphub")[1]
    post(keys.api_key, bank.value, encode(photo, quality=92))
    post(other.api_key, flip_bits(bank.value, 2), encode(photo.resize((800, 600)), quality=70))  # re-encoded copy
    item = ReviewItem.objects.get()
    assert (item.report_count, item.partner_count, item.content_from_image) == (2, 2, True)


def test_different_pictures_matching_one_bank_hash_stay_separate(post, keys):
    bank = banked(photo_like(11))
    post(keys.api_key, bank.value, encode(photo_like(11)))
    post(keys.api_key, bank.value, encode(photo_like(12)))
    assert ReviewItem.objects.filter(bank_hash=bank).count() == 2


# --- idempotency ----------------------------------------------------------------------------


def test_the_same_key_and_image_replay_the_first_report(post, keys):
    photo = photo_like(13)
    bank, upload = banked(photo), encode(photo)
    first = post(keys.api_key, bank.value, upload, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(keys.api_key, bank.value, upload, HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 202 and second.json()["id"] == first.json()["id"]
    assert MatchReport.objects.count() == 1 and ReviewImage.objects.count() == 1


def test_the_same_key_with_another_image_is_422(post, keys):
    bank = BankHashFactory()
    post(keys.api_key, bank.value, encode(photo_like(14)), HTTP_IDEMPOTENCY_KEY="k-2")
    before = counts()
    response = post(keys.api_key, bank.value, encode(photo_like(15)), HTTP_IDEMPOTENCY_KEY="k-2")
    assert_error(response, 422, "idempotency_mismatch")
    assert counts() == before


def test_a_key_still_in_flight_is_409_and_an_abandoned_one_is_taken_over(post, keys, settings):
    bank = BankHashFactory()
    first = post(keys.api_key, bank.value, HTTP_IDEMPOTENCY_KEY="k-3")
    record = IdempotencyRecord.objects.get(key="k-3")
    IdempotencyRecord.objects.filter(pk=record.pk).update(state="in_flight", report=None)
    assert_error(post(keys.api_key, bank.value, HTTP_IDEMPOTENCY_KEY="k-3"), 409, "idempotency_in_flight")
    settings.NCII_IDEMPOTENCY_STALE_SECONDS = -1  # the first request crashed long ago
    retried = post(keys.api_key, bank.value, HTTP_IDEMPOTENCY_KEY="k-3")
    assert retried.status_code == 202 and retried.json()["id"] != first.json()["id"]


def test_a_refused_request_frees_its_key(post, keys):
    photo = photo_like(16)
    bank = banked(photo)
    assert post(keys.api_key, bank.value, b"garbage", HTTP_IDEMPOTENCY_KEY="k-4").status_code == 415
    assert post(keys.api_key, bank.value, b"garbage", HTTP_IDEMPOTENCY_KEY="k-4").status_code == 415
    assert post(keys.api_key, bank.value, encode(photo), HTTP_IDEMPOTENCY_KEY="k-4").status_code == 202


def test_a_video_reports_image_is_a_keyframe_checked_against_the_claimed_frames(
    django_capture_on_commit_callbacks, keys
):
    from tests.factories import video_frames
    from tests.test_video_pdq import bank_video

    keyframe, elsewhere = photo_like(5), photo_like(6)
    frames = [*video_frames(3), f"{pdq_hex(keyframe)[0]},90,3.0"]
    bank_video(frames)
    bodies = []
    for image in (keyframe, elsewhere):
        fields = {"signalType": "VideoPDQ", "hashValue": json.dumps(frames), "contentId": "clip"}
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(MATCHES, {**fields, "image": io.BytesIO(encode(image))}, **bearer(keys.api_key))
        bodies.append(verified(response, keys.api_key))
    (fits, claimed_distance), (other, far) = [(b["hashMismatch"], b["claimDistance"]) for b in bodies]
    assert (fits, other) == (False, True)
    assert claimed_distance <= 6 and far > 31
