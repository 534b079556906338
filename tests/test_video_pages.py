"""What staff see of videos: the case page gives a video's vPDQ (frames, length), the review
item page a video report's two percentages."""

import json

import pytest
from django.urls import reverse

from moderation.models import ReviewItem
from tests.api_helpers import MATCHES, bearer, post_json
from tests.dashboard_helpers import item_url
from tests.factories import frames_near, video_frames
from tests.staff_helpers import signed_in
from tests.test_video_pdq import bank_video

pytestmark = pytest.mark.django_db


def test_the_case_page_shows_a_videos_frames_and_length(caseworker):
    bank_hash = bank_video(video_frames(5))
    case = bank_hash.case_links.get().case
    page = signed_in(caseworker).get(reverse("casework:case", args=[case.pk])).content.decode()
    assert "VideoPDQ" in page and "vPDQ: 5 frames, 4 s" in page


def test_the_item_page_shows_a_video_reports_percentages(
    client, partner_keys, moderator, django_capture_on_commit_callbacks
):
    frames = video_frames(10)
    bank_video(frames)
    clip = frames_near(frames[:8], 4) + video_frames(2)
    body = {"signalType": "VideoPDQ", "hashValue": json.dumps(clip), "contentId": "clip-1"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post_json(client, MATCHES, body, **bearer(partner_keys[1].api_key)).status_code == 202
    page = signed_in(moderator).get(item_url(ReviewItem.objects.get())).content.decode()
    assert "vPDQ 80.0% of video · 80.0% of bank video" in page
