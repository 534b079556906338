"""A year of demo history, made step by step through the hub's services at each step's date."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hub.demo.casework import Bank, Casework
from hub.demo.cast import Cast, cast_create, partner_admin_schedule, usage_backfill_demo, wellbeing_schedule
from hub.demo.clock import demo_clock, demo_pin_hashing, quiet_task_log, sqlite_unsynced
from hub.demo.imagery import Imagery
from hub.demo.review import Decisions, Reports
from hub.demo.videos import videos_schedule
from matching.upkeep import review_images_purge
from moderation.services import review_claim_next

YEAR = timedelta(weeks=52)


@dataclass(frozen=True)
class Seeded:
    cast: Cast
    bank: Bank


def history_seed(*, now: datetime | None = None, seed: int = 2026) -> Seeded:
    """Partners, staff, a year of cases, reports and decisions ending at ``now``, then today's
    state: exchange usage counted, decided items' review images purged, one item claimed."""
    now = now or timezone.now()
    start, rng = now - YEAR, random.Random(seed)
    with quiet_task_log(), sqlite_unsynced(), demo_clock(start) as clock:
        cast = cast_create()
        wellbeing_schedule(clock, cast, start)
        partner_admin_schedule(clock, cast, start, now)
        with demo_pin_hashing():
            bank = Casework(clock, cast, rng, start=start, now=now).schedule()
            decisions = Decisions(clock, cast, rng, now=now)
            Reports(decisions, bank, start=start).schedule()
            Imagery(decisions).schedule()
            videos_schedule(clock, cast, random.Random(seed + 13), now=now)  # its own stream: the rest unchanged
            clock.run_until(now)
        clock.move_to(now)
        usage_backfill_demo(cast, rng, start=start, now=now)
        review_images_purge(grace_seconds=settings.NCII_REVIEW_IMAGE_GRACE_SECONDS)
        review_claim_next(moderator=cast.staff["photoshare_mod"])
    return Seeded(cast=cast, bank=bank)
