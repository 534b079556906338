"""A video report's keyframes: up to NCII_REVIEW_KEYFRAMES_MAX review images, each through the
same checks and worker as one image, each checked against the claimed frames, shown as a strip."""

import base64
import io
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from matching.audit_events import IMAGE_PURGED, IMAGE_REFUSED, UPLOAD_PURGED
from matching.models import MatchReport, ReviewImage, ReviewUpload
from matching.pdq import pdq_hex
from matching.review_uploads import uploads_purge
from matching.upkeep import reports_needing_rehash, reports_rehash, review_images_purge
from moderation.audit_events import IMAGE_REVEALED
from moderation.models import QaReview, ReviewItem
from moderation.services import review_decide
from tests.api_helpers import MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import PartnerFactory, UserFactory, item_open, partner_with_keys, video_frames
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in
from tests.test_video_pdq import bank_video

pytestmark = pytest.mark.django_db

FITS, ELSEWHERE = photo_like(5), photo_like(6)  # the first is a frame of the video, the second not


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def video() -> list[str]:
    frames = [*video_frames(3), f"{pdq_hex(FITS)[0]},90,3.0"]
    bank_video(frames)
    return frames


@pytest.fixture
def send(django_capture_on_commit_callbacks, video):  # type: ignore[no-untyped-def]
    """Report the video with these keyframes (base64 JSON) and let the worker run."""

    def post(key: str, keyframes: list[bytes], *, run: bool = True, **extra: object):  # type: ignore[no-untyped-def]
        body = {"signalType": "VideoPDQ", "hashValue": json.dumps(video), "contentId": "clip"}
        body |= {"keyframes": [b64(k) for k in keyframes], **extra}
        with django_capture_on_commit_callbacks(execute=run):
            return post_json(Client(), MATCHES, body, **bearer(key))

    return post


@pytest.fixture
def key(db) -> str:
    return partner_with_keys("cliphub")[1].api_key


def read_back(response, key: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == 202, response.content
    return Client().get(f"{MATCHES}/{response.json()['id']}", **bearer(key)).json()


def test_seven_keyframes_are_400_and_nothing_is_written(send, key):
    before = row_counts()
    detail = assert_error(send(key, [encode(photo_like(i, (160, 120))) for i in range(7)]), 400, "invalid_keyframes")
    assert "At most 6 keyframes" in detail["detail"] and "7 were sent" in detail["detail"]
    assert row_counts() == before


def test_the_image_counts_as_the_first_keyframe(send, key):
    frames = [encode(photo_like(i, (160, 120))) for i in range(6)]
    before = row_counts()
    assert_error(send(key, frames, image=b64(frames[0])), 400, "invalid_keyframes")
    assert row_counts() == before
    assert send(key, frames[:5], image=b64(frames[5])).status_code == 202
    assert sorted(ReviewImage.objects.values_list("position", flat=True)) == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("bad", "status", "code"),
    [(b"garbage", 415, "unsupported_image"), ("too large", 413, "image_too_large")],
)
def test_one_bad_keyframe_is_refused_at_once_naming_it(send, key, settings, bad, status, code):
    settings.NCII_REVIEW_IMAGE_MAX_BYTES = 60_000
    small = encode(photo_like(1, (200, 150)))
    bad_bytes = encode(photo_like(2, (1600, 1200)), quality=95) if bad == "too large" else bad
    before = row_counts()
    body = assert_error(send(key, [small, small, bad_bytes]), status, code)
    assert body["detail"].startswith("keyframes.2: ") and "Nothing was stored" in body["detail"]
    assert row_counts() == before


def test_bad_base64_names_the_keyframe(key, video):
    body = {"signalType": "VideoPDQ", "hashValue": json.dumps(video), "contentId": "c", "keyframes": ["aGk=", "%%"]}
    before = row_counts()
    refused = post_json(Client(), MATCHES, body, **bearer(key))
    assert refused.json() == {"error": "invalid", "detail": "keyframes.1: Not valid base64."}
    assert row_counts() == before


def test_an_image_report_cannot_carry_keyframes(key, video):
    body = {
        "signalType": "ImagePDQ",
        "hashValue": pdq_hex(FITS)[0],
        "contentId": "c",
        "keyframes": [b64(encode(FITS))],
    }
    before = row_counts()
    assert_error(post_json(Client(), MATCHES, body, **bearer(key)), 400, "invalid_keyframes")
    assert row_counts() == before


def test_the_worker_checks_each_keyframe_and_records_a_refused_one_without_losing_the_others(send, key):
    corrupt = encode(photo_like(7))[:6000]
    body = read_back(send(key, [encode(FITS), encode(ELSEWHERE), corrupt]), key)
    images = {i.position: i for i in ReviewImage.objects.all()}
    assert sorted(images) == [0, 1] and not ReviewUpload.objects.exists()
    assert images[0].claim_distance <= 6 and images[1].claim_distance > 31  # each against the nearest claimed frame
    assert (body["hasImage"], body["hashMismatch"], body["claimDistance"]) == (True, True, images[1].claim_distance)
    assert body["imageRefused"].startswith("keyframe 2: corrupt_image: ")
    assert body["keyframes"] == [
        {"keyframe": 0, "claimDistance": images[0].claim_distance, "hashMismatch": False},
        {"keyframe": 1, "claimDistance": images[1].claim_distance, "hashMismatch": True},
    ]
    report = MatchReport.objects.get()
    refused = AuditEvent.objects.filter(action=IMAGE_REFUSED, object_id=str(report.pk))
    assert [e.after for e in refused] == [{"code": "corrupt_image", "keyframe": 2}]
    assert report.content_pdq == images[0].pdq  # the first keyframe is the report's content


def test_keyframes_that_all_fit_are_no_mismatch(send, key):
    body = read_back(send(key, [encode(FITS), encode(FITS, quality=60)]), key)
    assert body["hashMismatch"] is False and body["imageRefused"] is None


def test_reports_of_the_same_video_fold_into_one_item_by_their_first_keyframe(send, key):
    read_back(send(key, [encode(FITS), encode(ELSEWHERE)]), key)
    read_back(send(key, [encode(FITS, quality=60)]), key)  # re-encoded: within NCII_DEDUP_PDQ_DISTANCE
    assert ReviewItem.objects.count() == 1
    read_back(send(key, [encode(ELSEWHERE)]), key)  # other content matching the same bank video
    assert ReviewItem.objects.count() == 2


def test_the_sweeper_purges_every_upload_a_crash_left_behind(send, key):
    send(key, [encode(FITS), encode(ELSEWHERE), encode(photo_like(3))], run=False)  # the task never ran
    assert ReviewUpload.objects.count() == 3
    assert uploads_purge(max_age_seconds=-1) == 3
    report = MatchReport.objects.get()
    assert not ReviewUpload.objects.exists() and report.image_refused.startswith("upload_expired: ")
    assert AuditEvent.objects.filter(action=UPLOAD_PURGED, object_id=str(report.pk)).count() == 3


def test_every_keyframe_is_deleted_after_the_decisions_grace(send, key):
    read_back(send(key, [encode(FITS), encode(ELSEWHERE)]), key)
    MatchReport.objects.update(outcome=MatchReport.Outcome.CONFIRMED, decided_at=timezone.now())
    assert review_images_purge(grace_seconds=3600) == 0
    assert review_images_purge(grace_seconds=-1) == 2 and not ReviewImage.objects.exists()
    assert AuditEvent.objects.filter(action=IMAGE_PURGED).count() == 2


def keyframe_url(item_id: int, report_id: int, position: int) -> str:
    return reverse("moderation:report-keyframe", args=[item_id, report_id, position])


def test_the_item_page_shows_the_keyframes_as_a_blurred_strip_with_their_claim_distances(send, key, moderator):
    read_back(send(key, [encode(FITS), encode(ELSEWHERE)]), key)
    item, report = ReviewItem.objects.get(), MatchReport.objects.get()
    client = signed_in(moderator)
    page = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert page.count("data-review-image") == 2
    for position in (0, 1):
        url = keyframe_url(item.pk, report.pk, position)
        assert f'<img class="review-thumb" src="{url}"' in page and f'data-grey-src="{url}?view=grey"' in page
    far = ReviewImage.objects.get(position=1).claim_distance
    assert "Keyframe 1:" in page and f"no claimed frame near ({far})" in page
    assert client.get(keyframe_url(item.pk, report.pk, 1)).status_code == 200  # the blurred preview
    assert not AuditEvent.objects.filter(action=IMAGE_REVEALED).exists()
    client.get(keyframe_url(item.pk, report.pk, 1), {"view": "grey"})
    client.get(keyframe_url(item.pk, report.pk, 0), {"view": "colour"})
    reveals = AuditEvent.objects.filter(action=IMAGE_REVEALED).order_by("pk")
    assert [(e.after["level"], e.after.get("keyframe", 0)) for e in reveals] == [("grey", 1), ("colour", 0)]
    assert client.get(keyframe_url(item.pk, report.pk, 5)).status_code == 404


def test_a_partner_scoped_moderator_sees_only_their_partners_keyframes(send, video):
    own_partner, own_keys = partner_with_keys("own")
    _, other_keys = partner_with_keys("other")
    read_back(send(own_keys.api_key, [encode(FITS)]), own_keys.api_key)
    read_back(send(other_keys.api_key, [encode(FITS), encode(ELSEWHERE)]), other_keys.api_key)
    item = ReviewItem.objects.get()  # the same content: one item, two partners' reports
    theirs = MatchReport.objects.get(partner__name="other")
    client = signed_in(UserFactory(role="moderator", partner=own_partner))
    page = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert page.count("data-review-image") == 1 and f"/reports/{theirs.pk}/" not in page
    for position in (0, 1):
        for view in ("blurred", "grey"):
            assert client.get(keyframe_url(item.pk, theirs.pk, position), {"view": view}).status_code == 404
    assert not AuditEvent.objects.filter(action=IMAGE_REVEALED).exists()


def test_the_migration_gives_an_earlier_image_its_reports_pdq_and_claim_check(transactional_db):
    report = item_open(PartnerFactory()).memberships.get().report
    MatchReport.objects.filter(pk=report.pk).update(content_pdq=pdq_hex(FITS)[0], claim_distance=4)
    ReviewImage.objects.create(report=report, ciphertext=b"x", width=1, height=1)
    executor = MigrationExecutor(connection)
    executor.migrate([("matching", "0003_video_pdq")])
    executor.loader.build_graph()
    executor.migrate([("matching", "0004_review_keyframes")])
    image = ReviewImage.objects.get()
    assert (image.position, image.pdq, image.claim_distance) == (0, pdq_hex(FITS)[0], 4)


def test_keyframes_may_be_multipart_files(key, video, django_capture_on_commit_callbacks):
    fields = {"signalType": "VideoPDQ", "hashValue": json.dumps(video), "contentId": "clip"}
    files = {"keyframes": [io.BytesIO(encode(FITS)), io.BytesIO(encode(ELSEWHERE))]}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(MATCHES, {**fields, **files}, **bearer(key))
    assert [k["keyframe"] for k in read_back(response, key)["keyframes"]] == [0, 1]


def test_a_rehash_gives_each_keyframe_its_pdq_and_the_report_its_first(send, key):
    read_back(send(key, [encode(FITS), encode(ELSEWHERE)]), key)
    ReviewImage.objects.update(pdq="")
    MatchReport.objects.update(content_pdq="", hash_version=0)
    assert reports_rehash(report_ids=reports_needing_rehash()) == 1
    pdqs = dict(ReviewImage.objects.values_list("position", "pdq"))
    assert MatchReport.objects.get().content_pdq == pdqs[0] != pdqs[1] != ""


def test_the_blind_second_review_shows_every_keyframe_in_the_same_strip(send, key, moderator, settings):
    settings.NCII_QA_SAMPLE_RATE = 1.0
    read_back(send(key, [encode(FITS), encode(ELSEWHERE), encode(photo_like(3))]), key)
    item, report = ReviewItem.objects.get(), MatchReport.objects.get()
    review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    client = signed_in(UserFactory(role="moderator"))
    page = client.get(reverse("moderation:qa-item", args=[QaReview.objects.get(item=item).pk])).content.decode()
    assert "data-qa-blind" in page and page.count("data-review-image") == 3
    assert page.count('<ol class="keyframe-strip"') == 1
    # the match, as on the item page: both vPDQ shares, not a distance
    assert f"vPDQ {report.video_query_pct:.1f}% of video" in page and ">None<" not in page
    for position in (0, 1, 2):
        assert f'<img class="review-thumb" src="{keyframe_url(item.pk, report.pk, position)}"' in page
        assert f"Keyframe {position + 1}:" in page
    far = ReviewImage.objects.get(position=1).claim_distance
    assert f"no claimed frame near ({far})" in page
    assert client.get(keyframe_url(item.pk, report.pk, 2), {"view": "grey"}).status_code == 200
    assert AuditEvent.objects.get(action=IMAGE_REVEALED).after["keyframe"] == 2


def test_the_strip_flags_a_keyframe_by_the_matchers_own_threshold(send, key, moderator, settings):
    read_back(send(key, [encode(FITS), encode(ELSEWHERE)]), key)
    item = ReviewItem.objects.get()
    ReviewImage.objects.filter(position=1).update(claim_distance=20)
    url = reverse("moderation:item", args=[item.pk])
    assert "claimed frame 20 bits away" in signed_in(moderator).get(url).content.decode()  # within 31
    settings.NCII_PDQ_MATCH_DISTANCE = 16  # the matcher's threshold, set stricter
    page = signed_in(moderator).get(url).content.decode()
    assert "no claimed frame near (20)" in page and '<span class="keyframe-claim badge warning">' in page
