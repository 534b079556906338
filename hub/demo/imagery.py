"""Review images in the demo: generated pictures (hub.demo.pictures) that victims' cases
bank and partners then report with the picture. Those of the last four weeks were revealed and
decided (the reveals chart); those of the last day and a half wait in the queue, blurred, for
the demo's moderator to reveal and re-blur, some escalated after a reveal. One partner sends a
picture that is not what its hash claims (a hash mismatch), another one too plain to hash."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.contrib.auth.models import User
from django.utils import timezone

from audit.services import Actor
from cases.services import HashInput, case_create
from hub.demo import pictures
from hub.demo.casework import flip
from hub.demo.cast import REPORTING
from hub.demo.clock import Step
from hub.demo.review import Decisions, item_of
from matching.intake import report_ingest
from matching.pdq import pdq_hex_from_bytes
from moderation.wellbeing_services import image_reveal

DECIDED, WAITING = 7, 5  # pictures reported and decided in the last four weeks; pictures waiting


@dataclass(frozen=True)
class Picture:
    seed: int

    @cached_property
    def jpeg(self) -> bytes:
        draw = pictures.landscape if self.seed % 2 else pictures.shapes
        return pictures.jpeg(draw(self.seed))

    @cached_property
    def pdq(self) -> str:
        return pdq_hex_from_bytes(self.jpeg)[0]


class Imagery:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions
        self.clock, self.rng, self.now = decisions.clock, decisions.rng, decisions.now
        self.staff, self.partners = decisions.cast.staff, decisions.cast.partners

    def schedule(self) -> None:
        for seed in range(DECIDED):
            reported = self.now - timedelta(days=4 + 24 * seed / DECIDED, hours=self.rng.uniform(0, 6))
            self._picture(Picture(seed), reported, decide=True)
        for seed in range(DECIDED, DECIDED + WAITING):
            reported = self.now - timedelta(hours=36 * (seed - DECIDED + 1) / WAITING)
            self._picture(Picture(seed), reported, decide=False)
        mismatch, plain = pictures.jpeg(pictures.shapes(101)), pictures.jpeg(pictures.plain(103))
        self._odd(self.now - timedelta(hours=20), banked=Picture(100), sent=mismatch)
        self._odd(self.now - timedelta(hours=9), banked=Picture(102), sent=plain)

    def _picture(self, picture: Picture, reported: datetime, *, decide: bool) -> None:
        """A victim banks the picture weeks before one or two partners report it."""
        self.clock.at(reported - timedelta(days=self.rng.uniform(20, 120)), lambda: self._bank(picture))
        for n, partner in enumerate(self.rng.sample(REPORTING, self.rng.choice([1, 1, 2]))):
            when = reported + timedelta(hours=3 * n)
            if when < self.now:
                self.clock.at(when, self._send_step(partner, picture.pdq, picture.jpeg, decide=decide))

    def _bank(self, picture: Picture) -> None:
        case_create(hashes=[HashInput("ImagePDQ", picture.pdq, 90)], actor=Actor.public())

    def _odd(self, at: datetime, *, banked: Picture, sent: bytes) -> None:
        """ClipHub claims a banked picture's hash but sends another picture."""
        self.clock.at(at - timedelta(days=40), lambda: self._bank(banked))
        self.clock.at(at, self._send_step("cliphub", banked.pdq, sent, decide=False))

    def _send_step(self, partner: str, bank_value: str, image: bytes, *, decide: bool) -> Step:
        return lambda: self._send(partner, bank_value, image, decide=decide)

    def _send(self, partner: str, bank_value: str, image: bytes, *, decide: bool) -> None:
        report, _ = report_ingest(
            partner=self.partners[partner],
            signal_type="ImagePDQ",
            hash_value=flip(bank_value, self.rng.randint(0, 6), self.rng),
            content_id=f"{partner}-upload-{self.rng.randrange(10**6)}",
            image=image,
        )
        item = item_of(report)
        if item.report_count > 1:
            return  # the same picture from another partner: folded into its item
        later = timezone.now() + timedelta(hours=self.rng.uniform(2, 30) if decide else 1)
        if decide:
            self.clock.at(later, lambda: self._reveal_decide(item.pk, report.pk, partner))
        elif self.rng.random() < 0.5 and later < self.now:
            self.clock.at(later, lambda: self._reveal_escalate(item.pk, report.pk))

    def _reveal(self, moderator: User, item_id: int, report_id: int) -> None:
        image_reveal(moderator=moderator, item_id=item_id, report_id=report_id, level="grey")
        if self.rng.random() < 0.4:
            image_reveal(moderator=moderator, item_id=item_id, report_id=report_id, level="colour")

    def _reveal_decide(self, item_id: int, report_id: int, partner: str) -> None:
        login = "photoshare_mod" if partner == "photoshare" else self.rng.choice(["moderator", "senior"])
        self._reveal(self.staff[login], item_id, report_id)
        self.decisions.decide_as(self.staff[login], item_id, self.rng.choice(["confirm", "confirm", "dismiss"]))

    def _reveal_escalate(self, item_id: int, report_id: int) -> None:
        self._reveal(self.staff["moderator"], item_id, report_id)
        self.decisions.decide_as(self.staff["moderator"], item_id, "escalate")
