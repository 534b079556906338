"""The victims' side of the demo's year: cases week by week (more as the year goes on), some
helpline-assisted with caseworkers' notes; withdrawals of whole cases and of a hash partners
dispute; near-duplicate hashes that join clusters; a bulk import and partner-submitted hashes."""

import hashlib
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from audit.services import Actor
from cases.models import Case
from cases.services import HashInput, case_create, case_hash_withdraw, case_note_add, case_view_record, case_withdraw
from hub.demo.cast import REPORTING, SYSTEM, Cast
from hub.demo.clock import DemoClock, Step
from matching.exchange_services import FeedbackIn, HashRecordIn, exchange_feedback_submit, exchange_hashes_submit
from matching.importing import ImportRow
from matching.index import bank_index
from matching.models import BankHash
from matching.services import bank_import_batch

WEEKS = 52
# What becomes of a case: partners report its hashes, nothing happens, the person withdraws
# it, or partners dispute a hash of it.
KINDS = {"reportable": 70, "quiet": 18, "withdrawn": 8, "disputed": 4}
NOTES = [
    "Called the helpline after finding the images on two sites; hashed three of them together.",
    "Followed up by phone: two platforms have taken the posts down.",
    "Asked about reporting to the police; gave the local victim support number.",
]


def random_pdq(rng: random.Random) -> str:
    return format(rng.getrandbits(256), "064x")


def flip(value: str, bits: int, rng: random.Random) -> str:
    """``value`` with ``bits`` distinct random bits flipped."""
    mask = sum(1 << b for b in rng.sample(range(256), bits))
    return format(int(value, 16) ^ mask, "064x")


def _md5() -> str:
    return hashlib.md5(secrets.token_bytes(16)).hexdigest()  # noqa: S324 - a made-up video's hash


@dataclass
class Bank:
    """What the year's cases protect, for the review side to report on, and the cases the
    demo points its users to."""

    reportable: list[tuple[datetime, str]] = field(default_factory=list)  # (banked at, PDQ)
    public: list[tuple[Case, str]] = field(default_factory=list)  # a self-service case and its PIN

    def banked_before(self, when: datetime) -> list[str]:
        return [value for at, value in self.reportable if at < when]


class Casework:
    def __init__(self, clock: DemoClock, cast: Cast, rng: random.Random, *, start: datetime, now: datetime) -> None:
        self.clock, self.cast, self.rng, self.start, self.now = clock, cast, rng, start, now
        self.caseworker = cast.staff["caseworker"]
        self.bank = Bank()

    def schedule(self) -> Bank:
        for week in range(WEEKS):
            for _ in range(1 + week * 3 // WEEKS):
                at = self.start + timedelta(weeks=week, seconds=self.rng.uniform(0, 7 * 86400))
                self._case(
                    min(at, self.now - timedelta(hours=1)), self.rng.choices(list(KINDS), list(KINDS.values()))[0]
                )
        self._showcase(self.start + timedelta(weeks=30, days=2))
        self._public(self.now - timedelta(days=20))
        for week in (20, 27, 34, 41, 47):
            self._cluster(self.start + timedelta(weeks=week, days=3))
        self.clock.at(self.start + timedelta(weeks=20, days=4), self._import)
        for week in (15, 30, 45):
            self.clock.at(self.start + timedelta(weeks=week, days=1), self._partner_hashes)
        return self.bank

    def _hashes(self, pdqs: int) -> list[HashInput]:
        hashes = [HashInput("ImagePDQ", random_pdq(self.rng), self.rng.randint(60, 100)) for _ in range(pdqs)]
        if self.rng.random() < 0.3:
            hashes.append(HashInput("VideoMD5", _md5(), None))
        return hashes

    def _case(self, at: datetime, kind: str) -> None:
        hashes, helpline = self._hashes(self.rng.randint(1, 3)), self.rng.random() < 0.15
        if kind == "reportable":
            self.bank.reportable += [(at, h.value) for h in hashes if h.signal_type == "ImagePDQ"]
        self.clock.at(at, lambda: self._case_step(hashes, helpline=helpline, kind=kind))

    def _case_step(self, hashes: list[HashInput], *, helpline: bool, kind: str) -> None:
        case = self._create(hashes, helpline=helpline)
        if helpline:
            self._notes(case, count=1)
        if kind == "withdrawn":
            later = timezone.now() + timedelta(days=self.rng.randint(5, 60))
            self.clock.at(later, lambda: self._withdraw(case, helpline=helpline))
        if kind == "disputed":
            self._dispute(case, hashes[0].value, withdraw=self.rng.random() < 0.3)

    def _create(self, hashes: list[HashInput], *, helpline: bool) -> Case:
        if helpline:
            return case_create(hashes=hashes, source=Case.Source.HELPLINE, actor=Actor.user(self.caseworker))[0]
        return case_create(hashes=hashes, actor=Actor.public())[0]

    def _withdraw(self, case: Case, *, helpline: bool) -> None:
        """The person withdraws on the public page, or asks their caseworker to."""
        if helpline:
            reason = "The person asked by phone to withdraw the case."
            case_withdraw(case_id=case.pk, actor=Actor.user(self.caseworker), reason=reason)
        else:
            case_withdraw(case_id=case.pk, actor=Actor.public())

    def _notes(self, case: Case, *, count: int) -> None:
        for body in self.rng.sample(NOTES, count):
            case_note_add(case_id=case.pk, author=self.caseworker, body=body)
        case_view_record(case_id=case.pk, viewer=self.caseworker)

    def _dispute(self, case: Case, value: str, *, withdraw: bool) -> None:
        """Two or three partners call the hash NotBlocked over the next days; a caseworker
        sometimes checks with the person and withdraws it."""
        for days, partner in enumerate(self.rng.sample(REPORTING, self.rng.randint(2, 3)), start=3):
            self.clock.at(timezone.now() + timedelta(days=days), self._not_blocked_step(partner, value))
        if withdraw:
            self.clock.at(timezone.now() + timedelta(days=12), lambda: self._hash_withdraw(case, value))

    def _not_blocked_step(self, partner: str, value: str) -> Step:
        items = [FeedbackIn(hash_value=value, value="NotBlocked", tags=[])]
        return lambda: exchange_feedback_submit(partner=self.cast.partners[partner], items=items)

    def _hash_withdraw(self, case: Case, value: str) -> None:
        bank_hash = BankHash.objects.get(signal_type="ImagePDQ", value=value)
        reason = "Checked with the person: the partners are right, this is not their image."
        case_hash_withdraw(case_id=case.pk, bank_hash_id=bank_hash.pk, actor=Actor.user(self.caseworker), reason=reason)

    def _showcase(self, at: datetime) -> None:
        """The case the caseworker is pointed to: helpline-assisted, two notes, a hash partners
        dispute (still on the disputed list) and hashes partners report."""
        hashes = self._hashes(3)
        self.bank.reportable += [(at, h.value) for h in hashes[1:] if h.signal_type == "ImagePDQ"]

        def step() -> None:
            case = self._create(hashes, helpline=True)
            self._notes(case, count=2)
            self._dispute(case, hashes[0].value, withdraw=False)

        self.clock.at(at, step)

    def _public(self, at: datetime) -> None:
        hashes = self._hashes(2)
        self.clock.at(at, lambda: self.bank.public.append(case_create(hashes=hashes, actor=Actor.public())))

    def _cluster(self, at: datetime) -> None:
        """A new case whose hash is a few bits from an earlier case's joins that hash's cluster;
        partners report both."""
        earlier = self.rng.choice(self.bank.banked_before(at))
        near = HashInput("ImagePDQ", flip(earlier, self.rng.randint(3, 8), self.rng), 90)

        def step() -> None:
            bank_index.refresh(force=True)  # clusters are found through the index
            self._create([near], helpline=False)

        self.clock.at(at, step)
        self.bank.reportable.append((at, near.value))

    def _import(self) -> None:
        rows = [ImportRow(i + 1, "ImagePDQ", random_pdq(self.rng), 90) for i in range(40)]
        bank_import_batch(rows=rows, source_name="helpline archive", actor=SYSTEM)

    def _partner_hashes(self) -> None:
        """ClipHub contributes the hashes of videos it took down (SubmitHashes)."""
        records = [HashRecordIn(signal_type="VideoMD5", hash_value=_md5(), feedback=[]) for _ in range(5)]
        exchange_hashes_submit(partner=self.cast.partners["cliphub"], records=records)
