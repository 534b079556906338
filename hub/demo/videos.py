"""Videos in the demo (vPDQ): ClipHub opts in to VideoPDQ, a victim protects a video, and
ClipHub reports an excerpt of it with three keyframes (generated landscapes and shapes, frames
of the video), left pending so moderators see both percentages and the keyframe strip."""

import json
import random
from datetime import datetime, timedelta

from audit.services import Actor
from cases.services import HashInput, case_create
from hub.demo import pictures
from hub.demo.cast import SYSTEM, Cast
from hub.demo.clock import DemoClock
from matching.intake import report_ingest
from matching.pdq import pdq_hex_from_bytes
from matching.video import video_input_validate
from partners.thresholds import partner_video_pdq_set


def _frame(rng: random.Random) -> str:
    return format(sum(1 << b for b in rng.sample(range(256), 128)), "064x")  # balanced, as a photo's


def _near(value: str, rng: random.Random) -> str:
    """A re-encoded frame: a few set and unset bits flipped (still balanced)."""
    number = int(value, 16)
    ones = rng.sample([b for b in range(256) if number >> b & 1], 3)
    zeros = rng.sample([b for b in range(256) if not number >> b & 1], 3)
    return format(number ^ sum(1 << b for b in ones + zeros), "064x")


def videos_schedule(clock: DemoClock, cast: Cast, rng: random.Random, *, now: datetime) -> None:
    keyframes = [pictures.jpeg(pictures.landscape(201)), pictures.jpeg(pictures.landscape(203))]
    keyframes.append(pictures.jpeg(pictures.shapes(204)))
    frames = [_frame(rng) for _ in range(45)]
    frames[12:15] = [pdq_hex_from_bytes(keyframe)[0] for keyframe in keyframes]  # seconds 12-14 of the video
    video = video_input_validate([f"{pdq},{rng.randint(70, 100)},{float(s):.3}" for s, pdq in enumerate(frames)])
    excerpt = [f"{_near(pdq, rng)},90,{float(s):.3}" for s, pdq in enumerate(frames[10:34])]
    excerpt += [f"{_frame(rng)},90,{float(s):.3}" for s in range(24, 27)]  # a few frames of its own
    cliphub = cast.partners["cliphub"]

    def protect() -> None:
        partner_video_pdq_set(partner_id=cliphub.pk, enabled=True, actor=SYSTEM)
        case_create(hashes=[HashInput("VideoPDQ", video.key, None, video)], actor=Actor.public())

    def report() -> None:
        report_ingest(
            partner=cliphub,
            signal_type="VideoPDQ",
            hash_value=json.dumps(excerpt),
            content_id="clip-4471",
            keyframes=keyframes,
        )

    clock.at(now - timedelta(days=9), protect)
    clock.at(now - timedelta(days=2, hours=5), report)
