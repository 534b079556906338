"""The demo's review side over a year: partners' match reports (more each month, some about the
same content from several partners, some by StopNCII PendingReview feedback), moderators'
decisions hours to days later, escalations a senior settles, other partners' Blocked verdicts
after a confirmation, two reopened decisions, a bulk decision, an overdue backlog, two
reports the worker gave up on, and blind second reviews of the sampled decisions."""

import math
import random
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from hub.demo.casework import WEEKS, Bank, flip
from hub.demo.cast import REPORTING, Cast
from hub.demo.clock import DemoClock, Step
from matching.exchange_services import FeedbackIn, exchange_feedback_submit
from matching.intake import report_ingest, report_mark_failed, report_store
from matching.models import BankHash, MatchReport
from moderation.models import NoteVisibility, QaReview, QaState, ReviewItem, ReviewState
from moderation.qa_services import qa_resolve, qa_second_decide
from moderation.services import DecisionRefused, review_decide, review_decide_bulk
from moderation.triage import report_triage
from ncii_site.errors import DomainError

PARTNER_WEIGHTS = [45, 35, 20]  # of REPORTING: photoshare, cliphub, chatspace
DECISION_WEIGHTS = {"confirm": 62, "dismiss": 26, "escalate": 12}
# decision -> (reason code, note, shared with the reporting partners)
REASONS = {
    "confirm": [("matches_bank", "", False), ("matches_bank", "Same image as the banked hash; keep it blocked.", True)],
    "dismiss": [
        ("different_image", "", False),
        ("not_intimate", "", False),
        ("too_poor", "Thumbnail too small to compare.", False),
        ("other", "A news article's screenshot, not the banked image.", True),
    ],
    "escalate": [("needs_senior", "Could be a crop of the banked image; a second opinion please.", False)],
}


def item_of(report: MatchReport) -> ReviewItem:
    """The report's item, triaging the report here if no worker has yet (with a broker)."""
    item = ReviewItem.objects.filter(memberships__report=report).first()
    return item or report_triage(report_id=report.pk) or ReviewItem.objects.get(memberships__report=report)


class Decisions:
    """Who decides an open item, how, and when."""

    def __init__(self, clock: DemoClock, cast: Cast, rng: random.Random, *, now: datetime) -> None:
        self.clock, self.cast, self.rng, self.now = clock, cast, rng, now
        self.qa_rng = random.Random(15)  # its own, so second reviews leave the rest of the year as it was

    def later(self, median_hours: float, rng: random.Random | None = None) -> datetime | None:
        """Some hours from now (log-normal around ``median_hours``), if that is before today."""
        at = timezone.now() + timedelta(hours=(rng or self.rng).lognormvariate(math.log(median_hours), 1.0))
        return at if at < self.now else None

    def plan(self, item_id: int, partner: str) -> None:
        """Decide the item hours later, unless it is one the queue still holds: half of this
        week's, and a few of the last weeks' that waited past the target."""
        age = self.now - timezone.now()
        chance_open = 0.5 if age < timedelta(days=4) else 0.06 if age < timedelta(days=45) else 0
        if self.rng.random() >= chance_open and (at := self.later(8)):
            self.clock.at(at, lambda: self.decide(item_id, partner))

    def decider(self, partner: str) -> User:
        staff, roll = self.cast.staff, self.rng.random()
        if partner == "photoshare" and roll < 0.4:
            return staff["photoshare_mod"]
        return staff["senior"] if roll > 0.85 else staff["moderator"]

    def decide(self, item_id: int, partner: str, decision: str = "") -> None:
        if ReviewItem.objects.get(pk=item_id).state != ReviewState.PENDING:
            return  # decided in bulk meanwhile
        decision = decision or self.rng.choices(list(DECISION_WEIGHTS), list(DECISION_WEIGHTS.values()))[0]
        self.decide_as(self.decider(partner), item_id, decision)
        if decision == "confirm" and self.rng.random() < 0.3 and (at := self.later(20)):
            other = self.rng.choice([name for name in REPORTING if name != partner])
            self.clock.at(at, lambda: self._blocked(item_id, other))

    def decide_as(self, moderator: User, item_id: int, decision: str) -> None:
        code, note, shared = self.rng.choice(REASONS[decision])
        review_decide(
            moderator=moderator,
            item_id=item_id,
            decision=decision,
            reason_code=code,
            note=note,
            note_visibility=NoteVisibility.PARTNER if shared else NoteVisibility.INTERNAL,
        )
        if decision == "escalate" and (at := self.later(30)):
            self.clock.at(at, lambda: self._senior(item_id))
        sampled = QaReview.objects.filter(item_id=item_id, state=QaState.WAITING).values_list("pk", flat=True).first()
        if sampled and (at := self.later(24, self.qa_rng)):
            self.clock.at(at, lambda: self._second_review(sampled, first=moderator))

    def _second_review(self, qa_id: int, *, first: User) -> None:
        """A blind second review by another moderator (the senior when no one else may see the
        item): mostly the same outcome; a disagreement goes to the senior, who settles it a day
        later unless they took part."""
        staff = self.cast.staff
        outcome = QaReview.objects.values_list("first_state", flat=True).get(pk=qa_id)
        agree = self.qa_rng.random() < 0.85
        decision = {"confirmed": "confirm", "dismissed": "dismiss"}[outcome]
        decision = decision if agree else {"confirm": "dismiss", "dismiss": "confirm"}[decision]
        code = self.qa_rng.choice(REASONS[decision])[0]
        note = "A second look at the reports." if code == "other" else ""
        for name in ("moderator", "photoshare_mod", "senior"):
            if staff[name] == first:
                continue
            try:
                qa_second_decide(moderator=staff[name], qa_id=qa_id, decision=decision, reason_code=code, note=note)
            except DomainError:
                continue  # not an item they may see
            if not agree and staff["senior"] not in (first, staff[name]) and (at := self.later(24, self.qa_rng)):
                self.clock.at(at, lambda: self._settle(qa_id, decision))
            return

    def _settle(self, qa_id: int, decision: str) -> None:
        code = "matches_bank" if decision == "confirm" else "different_image"
        qa_resolve(moderator=self.cast.staff["senior"], qa_id=qa_id, decision=decision, reason_code=code)

    def _senior(self, item_id: int) -> None:
        self.decide_as(self.cast.staff["senior"], item_id, self.rng.choice(["confirm", "confirm", "dismiss"]))

    def _blocked(self, item_id: int, partner: str) -> None:
        """Another partner tells the exchange it blocked the hash too (SubmitFeedback)."""
        value = ReviewItem.objects.select_related("bank_hash").get(pk=item_id).bank_hash.value
        exchange_feedback_submit(partner=self.cast.partners[partner], items=[FeedbackIn(value, "Blocked", [])])


class Reports:
    def __init__(self, decisions: Decisions, bank: Bank, *, start: datetime) -> None:
        self.decisions, self.bank, self.start = decisions, bank, start
        self.clock, self.rng, self.now = decisions.clock, decisions.rng, decisions.now
        self.cast = decisions.cast
        self.bulk: list[int] = []
        self._sent = 0

    def schedule(self) -> None:
        for week in range(WEEKS):
            for _ in range(1 + week // 8):
                at = self.start + timedelta(weeks=week, seconds=self.rng.uniform(0, 7 * 86400))
                if at < self.now:
                    self._plan(at, self.rng.choices(REPORTING, PARTNER_WEIGHTS)[0])
        for days in (9, 8, 7, 6, 5):
            self._plan(self.now - timedelta(days=days, hours=3), "chatspace", bulk=True)
        self.clock.at(self.now - timedelta(days=2), self._bulk_step)
        self.clock.at(self.now - timedelta(days=12), lambda: self._reopen_step(redecide=True))
        self.clock.at(self.now - timedelta(days=6), lambda: self._reopen_step(redecide=False))
        for hours in (5, 2):
            self.clock.at(self.now - timedelta(hours=hours), self._failed_step)

    def _plan(self, at: datetime, partner: str, *, bulk: bool = False) -> None:
        """A report of a banked hash; sometimes another partner reports the same content."""
        targets = self.bank.banked_before(at)
        if not targets:
            return
        target = self.rng.choice(targets)
        exchange = partner == "chatspace" and not bulk and self.rng.random() < 0.35
        claimed = target if exchange else flip(target, self.rng.randint(0, 12), self.rng)
        self.clock.at(at, self._step(partner, claimed, exchange=exchange, bulk=bulk))
        again = at + timedelta(hours=self.rng.uniform(1, 96))
        if not bulk and self.rng.random() < 0.3 and again < self.now:
            other = self.rng.choice([name for name in REPORTING if name != partner])
            self.clock.at(again, self._step(other, claimed, exchange=False, bulk=False))

    def _step(self, partner: str, claimed: str, *, exchange: bool, bulk: bool) -> Step:
        return lambda: self._report(partner, claimed, exchange=exchange, bulk=bulk)

    def _report(self, partner: str, claimed: str, *, exchange: bool, bulk: bool) -> None:
        report = self._exchange(partner, claimed) if exchange else self._api(partner, claimed)
        if report is None:
            return  # the partner's earlier report of this hash is still open
        item = item_of(report)
        if item.report_count > 1:
            return  # folded into an open item about the same content
        if bulk:
            self.bulk.append(item.pk)
        else:
            self.decisions.plan(item.pk, partner)

    def _api(self, partner: str, claimed: str) -> MatchReport:
        self._sent += 1
        content_id = f"{partner}-post-{self._sent}"
        partner_row = self.cast.partners[partner]
        return report_ingest(partner=partner_row, signal_type="ImagePDQ", hash_value=claimed, content_id=content_id)[0]

    def _exchange(self, partner: str, value: str) -> MatchReport | None:
        """A StopNCII client reports a match as PendingReview feedback (SubmitFeedback)."""
        partner_row = self.cast.partners[partner]
        exchange_feedback_submit(partner=partner_row, items=[FeedbackIn(value, "PendingReview", [])])
        return MatchReport.objects.filter(partner=partner_row, received_at=timezone.now()).order_by("-pk").first()

    def _bulk_step(self) -> None:
        review_decide_bulk(
            moderator=self.cast.staff["moderator"],
            items=dict.fromkeys(self.bulk),
            decision="dismiss",
            reason_code="different_image",
            note="A meme template that reuses the banked image's colours; not the banked image.",
        )

    def _reopen_step(self, *, redecide: bool) -> None:
        """A senior reopens a recent confirmation after the partner's appeal; one is dismissed
        two days later, the other waits."""
        confirmed = ReviewItem.objects.filter(state=ReviewState.CONFIRMED, content_from_image=False)
        for item_id in confirmed.order_by("-decided_at").values_list("pk", flat=True)[:5]:
            if self._reopen(item_id):
                if redecide:
                    self.clock.at(timezone.now() + timedelta(days=2), self._redecide_step(item_id))
                return

    def _reopen(self, item_id: int) -> bool:
        try:
            review_decide(
                moderator=self.cast.staff["senior"],
                item_id=item_id,
                decision="reopen",
                reason_code="new_information",
                note="The partner appealed: the uploader says it is their own, different photo.",
            )
        except DecisionRefused:
            return False  # another open item is about the same content
        return True

    def _redecide_step(self, item_id: int) -> Step:
        return lambda: self.decisions.decide_as(self._not_the_first_decider(item_id), item_id, "dismiss")

    def _not_the_first_decider(self, item_id: int) -> User:
        """Four eyes: the reopened decision's maker may not decide the item again."""
        senior = self.cast.staff["senior"]
        first = ReviewItem.objects.values_list("reopened_decider_id", flat=True).get(pk=item_id)
        return self.cast.staff["moderator"] if first == senior.pk else senior

    def _failed_step(self) -> None:
        """A report the worker gave up on after its retries, for the Failed reports page."""
        value = self.rng.choice(self.bank.banked_before(timezone.now()))
        bank_hash = BankHash.objects.get(signal_type="ImagePDQ", value=value)
        error = ConnectionError("demo: the database connection dropped during triage, five times")
        with transaction.atomic(durable=True):
            report = report_store(
                partner=self.cast.partners["cliphub"], bank_hash=bank_hash, hash_value=value, distance=0
            )
            report_mark_failed(report_id=report.pk, error=error)
