"""VideoPDQ on the StopNCII-compatible exchange: served and accepted only for partners who
opted in; Meta's stock client keeps working for everyone else."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from threatexchange.exchanges.clients.stopncii.api import StopNCIIAPI, StopNCIIEndpoint

from audit.models import AuditEvent
from matching.models import BankHash, VideoFrame
from tests.api_helpers import FETCH, assert_error, post_json
from tests.factories import UserFactory, partner_with_keys, random_pdq, video_frames
from tests.staff_helpers import signed_in
from tests.test_video_pdq import bank_video

SUBMIT, FEEDBACK = "/v1/SubmitHashes", "/v1/SubmitFeedback"


def headers(keys, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_OCP_APIM_SUBSCRIPTION_KEY": keys.subscription_key, "HTTP_X_FUNCTIONS_KEY": keys.function_keys[name]}


def fetch_all(keys) -> list[dict]:  # type: ignore[no-untyped-def]
    return Client().get(FETCH, {"startTimestamp": "0"}, **headers(keys, "FetchHashes")).json()["hashRecords"]


@pytest.fixture
def partner(db):  # type: ignore[no-untyped-def]
    return partner_with_keys("clips")


@pytest.mark.django_db
def test_fetch_serves_videos_only_to_partners_who_opted_in(partner):
    frames = video_frames(4)
    bank_video(frames)
    bank_video(video_frames(2))
    partner_row, keys = partner
    assert {r["signalType"] for r in fetch_all(keys)} == set()
    partner_row.receives_video_pdq = True
    partner_row.save()
    records = fetch_all(keys)
    assert {r["signalType"] for r in records} == {"VideoPDQ"}
    assert frames in [json.loads(r["hashValue"]) for r in records]  # the vPDQ text, as HMA stores it


@pytest.mark.django_db
def test_submit_hashes_takes_videos_only_from_partners_who_opted_in(partner):
    partner_row, keys = partner
    record = {"signalType": "VideoPDQ", "hashValue": json.dumps(video_frames(3))}
    response = post_json(Client(), SUBMIT, {"count": 1, "hashRecords": [record]}, **headers(keys, "SubmitHashes"))
    assert_error(response, 403, "video_pdq_not_enabled")
    assert not BankHash.objects.exists()
    partner_row.receives_video_pdq = True
    partner_row.save()
    response = post_json(Client(), SUBMIT, {"count": 1, "hashRecords": [record]}, **headers(keys, "SubmitHashes"))
    assert response.status_code == 200, response.content
    bank_hash = BankHash.objects.get()
    assert (bank_hash.signal_type, bank_hash.source, bank_hash.video) == ("VideoPDQ", "partner", record["hashValue"])
    assert VideoFrame.objects.count() == 3


@pytest.mark.django_db
def test_a_malformed_submitted_video_names_record_and_frame(partner):
    partner_row, keys = partner
    partner_row.receives_video_pdq = True
    partner_row.save()
    bad = {"signalType": "VideoPDQ", "hashValue": json.dumps([f"{random_pdq()},50"])}
    response = post_json(Client(), SUBMIT, {"count": 1, "hashRecords": [bad]}, **headers(keys, "SubmitHashes"))
    assert "hashRecords.0: frame 0" in assert_error(response, 400, "invalid_hash")["detail"]


@pytest.mark.django_db
def test_feedback_on_a_video_names_it_by_its_frames(partner):
    frames = video_frames(3)
    banked = bank_video(frames)
    _, keys = partner
    body = {"count": 1, "hashFeedbacks": [{"hashValue": json.dumps(frames), "feedbackValue": "Blocked"}]}
    assert post_json(Client(), FEEDBACK, body, **headers(keys, "SubmitFeedback")).status_code == 200
    assert banked.feedback.get().value == "Blocked"


@pytest.mark.django_db(transaction=True)
def test_the_stock_client_walks_a_bank_with_videos_when_not_opted_in(live_server):
    bank_video(video_frames(3))
    _, keys = partner_with_keys("photoshare")
    client = StopNCIIAPI(
        keys.subscription_key,
        keys.function_keys["FetchHashes"],
        additional_function_keys={StopNCIIEndpoint.SubmitHashes: keys.function_keys["SubmitHashes"]},
        base_url_override=live_server.url + "/v1",
    )
    bank_video(video_frames(2))
    pages = list(client.fetch_hashes_iter(start_timestamp=StopNCIIAPI.DEFAULT_START_TIME))
    assert sum(p.count for p in pages) == 0


@pytest.mark.django_db
def test_an_admin_opts_a_partner_in_to_videos_and_the_change_is_audited(partner):
    partner_row, _ = partner
    admin = signed_in(UserFactory(username="root", role="admin"))
    url = reverse("partners:detail", args=[partner_row.pk])
    assert "<strong>does not receive</strong> VideoPDQ" in admin.get(url).content.decode()
    assert admin.post(url, {"action": "video_pdq", "receives_video_pdq": "on"}).status_code == 302
    assert "<strong>receives</strong> VideoPDQ" in admin.get(url).content.decode()
    assert admin.post(url, {"action": "video_pdq"}).status_code == 302
    partner_row.refresh_from_db()
    assert partner_row.receives_video_pdq is False
    events = AuditEvent.objects.filter(action="partner.video_pdq_set").order_by("seq")
    assert [e.after for e in events] == [{"receives_video_pdq": True}, {"receives_video_pdq": False}]


@pytest.mark.django_db
def test_webhooks_announce_a_video_only_to_partners_who_opted_in(partner):
    from partners.webhook_models import WebhookDelivery, WebhookEndpoint

    opted, _ = partner
    opted.receives_video_pdq = True
    opted.save()
    other, _ = partner_with_keys("images-only")
    for row in (opted, other):
        WebhookEndpoint.objects.create(partner=row, url=f"https://{row.name}.example/hook", events=["hash.activated"])
    bank_video(video_frames(3))
    assert set(WebhookDelivery.objects.values_list("endpoint__partner__name", flat=True)) == {"clips"}
