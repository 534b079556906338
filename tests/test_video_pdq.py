"""VideoPDQ (vPDQ) on the hub's APIs: a victim's case, partners' lookups and match reports,
and the bank's frame index, exact against brute force."""

import json
import random

import pytest
from django.test import Client

from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.frame_index import video_index
from matching.index_builder import index_build
from matching.models import BankHash, MatchReport, VideoFrame
from matching.signal_types import HashFormatError
from matching.video import video_input_validate, video_matches
from matching.vpdq import vpdq_compare
from tests.api_helpers import CASES, MATCHES, assert_error, bearer, post_json, row_counts
from tests.factories import flip_bits, frames_near, random_pdq, video_frames

pytestmark = pytest.mark.django_db

LOOKUP = "/api/v1/lookup"
BLANK = "0" * 64  # the PDQ of a blank frame: no bit set


def bank_video(frames: list[str]) -> BankHash:
    video = video_input_validate(frames)
    case, _ = case_create(hashes=[HashInput("VideoPDQ", video.key, None, video)], actor=Actor.public())
    return case.hash_links.get().bank_hash


@pytest.fixture
def api(partner_keys):
    _, keys = partner_keys
    client = Client()
    return lambda url, body: post_json(client, url, body, **bearer(keys.api_key))


def test_a_case_protects_a_video_sent_as_its_json_text(client):
    frames = video_frames(5)
    response = post_json(client, CASES, {"hashes": [{"signalType": "VideoPDQ", "hashValue": json.dumps(frames)}]})
    assert response.status_code == 201, response.content
    bank_hash = BankHash.objects.get(signal_type="VideoPDQ")
    assert json.loads(bank_hash.video) == frames and len(bank_hash.value) == 64
    assert list(bank_hash.frames.order_by("position").values_list("pdq", flat=True)) == [f[:64] for f in frames]


def test_a_video_sent_as_an_array_is_the_same_bank_record(client):
    frames = video_frames(3)
    for value in (frames, json.dumps(frames, indent=2)):
        body = {"hashes": [{"signalType": "VideoPDQ", "hashValue": value}]}
        assert post_json(client, CASES, body).status_code == 201
    assert BankHash.objects.filter(signal_type="VideoPDQ").count() == 1


def test_a_malformed_video_is_a_400_naming_the_frame_and_nothing_is_written(client):
    frames = [*video_frames(2), f"{random_pdq()},900,2.0"]
    before = row_counts()
    response = post_json(client, CASES, {"hashes": [{"signalType": "VideoPDQ", "hashValue": json.dumps(frames)}]})
    body = assert_error(response, 400, "invalid_hash")
    assert "hashes.0" in body["detail"] and "frame 2: quality 900" in body["detail"]
    assert row_counts() == before and not VideoFrame.objects.exists()


def test_a_video_of_only_blank_frames_is_refused(client):
    frames = [f"{BLANK},100,{s}.0" for s in range(3)]
    response = post_json(client, CASES, {"hashes": [{"signalType": "VideoPDQ", "hashValue": frames}]})
    assert "blank videos" in assert_error(response, 400, "degenerate_hash")["detail"]
    assert not BankHash.objects.exists()


def test_blank_and_repeated_frames_inside_a_real_video_are_kept_but_not_indexed():
    real = video_frames(3)
    bank_hash = bank_video([real[0], f"{BLANK},100,1.0", real[1], real[0].replace(",0.0", ",3.0"), real[2]])
    indexed = dict(bank_hash.frames.values_list("position", "indexed"))
    assert indexed == {0: True, 1: False, 2: True, 3: False, 4: True}


def test_too_many_frames_are_refused(client, settings):
    settings.NCII_VPDQ_MAX_FRAMES = 4
    ok = {"hashes": [{"signalType": "VideoPDQ", "hashValue": video_frames(4)}]}
    over = {"hashes": [{"signalType": "VideoPDQ", "hashValue": video_frames(5)}]}
    assert post_json(client, CASES, ok).status_code == 201
    assert "at most 4 frames" in assert_error(post_json(client, CASES, over), 400, "invalid_hash")["detail"]


def test_lookup_answers_per_bank_video_with_both_percentages(api):
    frames = video_frames(10)
    banked = bank_video(frames)
    clip = frames_near(frames[:8], 20) + video_frames(1)  # 8 of its 9 frames are from the video
    results = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [clip, frames_near(frames, 31)]}).json()["results"]
    first, whole = (r["matches"] for r in results)
    assert [(m["bankHashId"], m["queryMatchPercent"], m["targetMatchPercent"]) for m in first] == [
        (str(banked.public_id), 88.89, 80.0)
    ]
    assert [(m["queryMatchPercent"], m["targetMatchPercent"]) for m in whole] == [(100.0, 100.0)]
    assert results[0]["hashValue"] == clip  # as sent


def test_a_video_below_the_query_threshold_or_too_far_does_not_match(api, settings):
    frames = video_frames(10)
    bank_video(frames)
    half = frames_near(frames[:5], 0) + video_frames(5)
    far = frames_near(frames, 32)
    results = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [half, far]}).json()["results"]
    assert [r["matches"] for r in results] == [[], []]
    settings.NCII_VPDQ_QUERY_MATCH_PCT = 50.0
    results = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [half]}).json()["results"]
    assert [m["queryMatchPercent"] for m in results[0]["matches"]] == [50.0]


def test_low_quality_frames_count_on_neither_side(api):
    frames = video_frames(4)
    bank_video([*frames, *video_frames(4, quality=10)])  # the bank's four poor frames are dropped
    query = [*frames_near(frames, 5), *video_frames(6, quality=49)]
    [result] = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [query]}).json()["results"]
    assert [(m["queryMatchPercent"], m["targetMatchPercent"]) for m in result["matches"]] == [(100.0, 100.0)]


def test_frames_never_match_as_image_pdq_and_withdrawn_videos_match_nothing(api):
    frames = video_frames(3)
    banked = bank_video(frames)
    images = api(LOOKUP, {"signalType": "ImagePDQ", "hashes": [f[:64] for f in frames]}).json()["results"]
    assert [r["matches"] for r in images] == [[], [], []]
    assert api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [frames]}).json()["results"][0]["matches"]
    case_withdraw(case_id=banked.case_links.get().case_id, actor=Actor.public())
    assert api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [frames]}).json()["results"][0]["matches"] == []


def test_a_malformed_lookup_names_the_video_and_frame(api):
    response = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [video_frames(2), ["nope"]]})
    assert "hashes.1: frame 0" in assert_error(response, 400, "invalid_hash")["detail"]


def test_a_video_report_is_accepted_when_it_matches_a_bank_video(api, django_capture_on_commit_callbacks):
    frames = video_frames(6)
    banked = bank_video(frames)
    body = {"signalType": "VideoPDQ", "hashValue": json.dumps(frames_near(frames, 3)), "contentId": "v-1"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(MATCHES, body)
    assert response.status_code == 202, response.content
    out = response.json()
    assert out["bankHash"]["bankHashId"] == str(banked.public_id)
    assert (out["queryMatchPercent"], out["targetMatchPercent"]) == (100.0, 100.0)
    report = MatchReport.objects.get()
    assert report.signal_type == "VideoPDQ" and json.loads(report.video) == frames_near(frames, 3)


def test_a_video_report_matching_nothing_is_refused_and_nothing_is_stored(api):
    bank_video(video_frames(6))
    before = row_counts()
    response = api(MATCHES, {"signalType": "VideoPDQ", "hashValue": video_frames(6), "contentId": "v-2"})
    assert_error(response, 422, "no_bank_match")
    assert row_counts() == before


@pytest.mark.parametrize("snapshot_after", [None, 6])
def test_the_frame_index_agrees_with_brute_force_over_the_bank(snapshot_after):
    """The index finds candidates; every active bank video is compared by brute force here.
    With a snapshot built after the first six videos, the rest and two withdrawals (one from
    the snapshot, one since) reach the index through its delta."""
    rng = random.Random(7)
    bank = [video_frames(rng.randint(1, 8)) for _ in range(12)]
    banked = []
    for position, frames in enumerate(bank):
        if position == snapshot_after:
            index_build()
            video_index.refresh(force=True)
        banked.append(bank_video(frames))
    for gone in (banked[2], banked[9]):
        case_withdraw(case_id=gone.case_links.get().case_id, actor=Actor.public())
    expected_base = "database" if snapshot_after is None else "snapshot-00000001.idx"
    video_index.refresh(force=True)
    assert video_index.status()["base"] == expected_base
    for _ in range(25):
        source = rng.choice(bank)
        query = frames_near(rng.sample(source, rng.randint(1, len(source))), rng.choice([0, 20, 31, 32]))
        query += video_frames(rng.randint(0, 2))
        video = video_input_validate(query)
        kept = [f.pdq for f in video.kept]
        expected = set()
        for bank_hash in BankHash.objects.filter(signal_type="VideoPDQ", status="Active"):
            target = list(bank_hash.frames.values_list("pdq", flat=True))
            result = vpdq_compare(kept, target, radius=31)
            if result.query_pct >= 80.0:
                expected.add((bank_hash.pk, result.query_pct, result.target_pct))
        found = {(m.bank_hash.pk, m.query_pct, m.target_pct) for m in video_matches(video)}
        assert found == expected


def test_a_video_banked_after_the_index_was_read_is_found():
    first = video_frames(3)
    bank_video(first)
    assert video_matches(video_input_validate(first))
    later = video_frames(3)
    bank_video(later)
    assert [m.query_pct for m in video_matches(video_input_validate(frames_near(later, 1)))] == [100.0]


def test_flip_bits_keeps_frames_real_looking():
    assert len(flip_bits(random_pdq(), 31)) == 64


def test_a_video_cannot_be_banked_by_its_key_alone():
    from matching.services import hash_input_validate

    with pytest.raises(HashFormatError, match="its frames"):
        hash_input_validate(signal_type="VideoPDQ", value=random_pdq(), quality=None)


def test_a_video_on_the_negative_bank_is_known_benign_and_cannot_be_banked(api, client):
    from matching.negative_bank import negative_add

    frames = video_frames(3)
    bank_video(frames)
    key = video_input_validate(frames).key
    negative_add(signal_type="VideoPDQ", value=key, reason="a meme", source="admin", actor=Actor.system("test"))
    [result] = api(LOOKUP, {"signalType": "VideoPDQ", "hashes": [frames]}).json()["results"]
    assert (result["knownBenign"], result["matches"]) == (True, [])
    response = post_json(client, CASES, {"hashes": [{"signalType": "VideoPDQ", "hashValue": frames}]})
    assert_error(response, 422, "known_benign")
