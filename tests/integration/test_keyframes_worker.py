"""A video report's keyframes on the real services: the API on PostgreSQL, the broker on Redis
and a Celery worker process decoding each keyframe in its sandbox."""

import base64
import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from matching.audit_events import IMAGE_REFUSED
from matching.models import MatchReport, ReviewImage, ReviewUpload
from matching.pdq import pdq_hex
from tests.factories import partner_with_keys, video_frames
from tests.images import encode, photo_like
from tests.integration.test_worker import wait_for, worker  # noqa: F401 (a fixture)
from tests.test_video_pdq import bank_video

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_decodes_each_keyframe_and_checks_it_against_the_claimed_frames(worker):  # noqa: F811
    fits, elsewhere = photo_like(5), photo_like(6)
    frames = [*video_frames(3), f"{pdq_hex(fits)[0]},90,3.0"]
    bank_video(frames)
    _, keys = partner_with_keys("cliphub")
    keyframes = [encode(fits), encode(elsewhere), encode(photo_like(7))[:6000]]
    body = {
        "signalType": "VideoPDQ",
        "hashValue": json.dumps(frames),
        "contentId": "clip",
        "keyframes": [base64.b64encode(k).decode() for k in keyframes],
    }
    response = Client().post(
        "/api/v1/matches", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {keys.api_key}"
    )
    assert response.status_code == 202, response.content
    report_id = response.json()["id"]
    wait_for(lambda: MatchReport.objects.get(pk=report_id).status == MatchReport.Status.PROCESSED, timeout=60)
    distances = dict(ReviewImage.objects.values_list("position", "claim_distance"))
    assert sorted(distances) == [0, 1] and distances[0] <= 6 and distances[1] > 31
    report = MatchReport.objects.get(pk=report_id)
    assert report.hash_mismatch and report.image_refused.startswith("keyframe 2: corrupt_image: ")
    assert not ReviewUpload.objects.exists()
    assert AuditEvent.objects.get(action=IMAGE_REFUSED).after == {"code": "corrupt_image", "keyframe": 2}
