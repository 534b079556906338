"""Races on the real database: separate connections in threads, started together."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor
from cases.services import HashInput, case_create, case_withdraw
from matching.audit_events import REPORT_RECEIVED
from matching.models import IdempotencyRecord, MatchReport
from moderation.audit_events import ITEM_CONFIRM, ITEM_DISMISS, ITEM_REOPEN, REPORT_TRIAGED
from moderation.models import OPEN_STATES, ReviewItem, ReviewItemReport
from moderation.services import DecisionRefused, review_claim_next, review_decide
from moderation.triage import item_choice_lock, report_triage
from tests.factories import (
    BankHashFactory,
    PartnerFactory,
    UserFactory,
    item_open,
    partner_with_keys,
    random_pdq,
    report_for,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment, each on its own connection; return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the race's loser is part of the result
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_two_moderators_deciding_one_item_exactly_one_wins():
    item = item_open(PartnerFactory())
    a, b = UserFactory(role="moderator"), UserFactory(role="moderator")
    results = race(
        lambda: review_decide(
            moderator=a, item_id=item.pk, decision="confirm", reason_code="other", note="a", expected_version=1
        ),
        lambda: review_decide(
            moderator=b, item_id=item.pk, decision="dismiss", reason_code="other", note="b", expected_version=1
        ),
    )
    winners = [r for r in results if isinstance(r, ReviewItem)]
    losers = [r for r in results if isinstance(r, DecisionRefused)]
    assert (len(winners), len(losers)) == (1, 1), results
    item.refresh_from_db()
    assert item.state == winners[0].state
    assert AuditEvent.objects.filter(action__in=[ITEM_CONFIRM, ITEM_DISMISS]).count() == 1
    assert audit_chain_verify()[1] is None


def test_two_moderators_claiming_never_get_the_same_item():
    partner = PartnerFactory()
    items = {item_open(partner).pk for _ in range(2)}
    mods = [UserFactory(role="moderator") for _ in range(3)]
    results = race(*[lambda m=m: review_claim_next(moderator=m) for m in mods])
    claimed = [r.pk for r in results if isinstance(r, ReviewItem)]
    assert sorted(claimed) == sorted(items)
    assert results.count(None) == 1


def test_reports_of_one_hash_triaged_at_once_make_one_item():
    bank_hash = BankHashFactory()
    reports = [report_for(PartnerFactory(), bank_hash, content_id=f"c{i}") for i in range(4)]
    results = race(*[lambda r=r: report_triage(report_id=r.pk) for r in reports])
    assert not [r for r in results if isinstance(r, Exception)], results
    item = ReviewItem.objects.get()
    assert (item.report_count, item.partner_count) == (4, 4)
    assert ReviewItemReport.objects.count() == 4
    assert set(MatchReport.objects.values_list("status", flat=True)) == {"processed"}


def test_the_same_report_triaged_twice_at_once_is_processed_once():
    report = report_for(PartnerFactory(), BankHashFactory())
    race(lambda: report_triage(report_id=report.pk), lambda: report_triage(report_id=report.pk))
    assert ReviewItemReport.objects.filter(report=report).count() == 1
    assert AuditEvent.objects.filter(action=REPORT_TRIAGED).count() == 1


def test_fifty_concurrent_identical_posts_create_exactly_one_report():
    _, keys = partner_with_keys("photoshare")
    bank_hash = BankHashFactory()
    body = {"signalType": "ImagePDQ", "hashValue": bank_hash.value, "contentId": "post-9"}

    def post():  # type: ignore[no-untyped-def]
        return Client().post(
            "/api/v1/matches",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {keys.api_key}",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )

    responses = race(*[post for _ in range(50)])
    statuses = sorted({r.status_code for r in responses})
    assert set(statuses) <= {202, 409}, [r.content for r in responses if r.status_code not in (202, 409)]
    assert MatchReport.objects.count() == 1
    ids = {r.json()["id"] for r in responses if r.status_code == 202}
    assert ids == {MatchReport.objects.get().pk}
    assert IdempotencyRecord.objects.get().state == "done"
    assert AuditEvent.objects.filter(action=REPORT_RECEIVED).count() == 1


def test_fifty_concurrent_refused_posts_with_one_key_get_a_refusal_never_a_server_error():
    """Each refused request frees the key while others are reserving it: they answer 409 (in
    flight) or the refusal itself, 422, and nothing is stored."""
    _, keys = partner_with_keys("photoshare")
    body = {"signalType": "ImagePDQ", "hashValue": "f" * 64, "contentId": "post-9"}  # matches nothing

    def post():  # type: ignore[no-untyped-def]
        return Client().post(
            "/api/v1/matches",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {keys.api_key}",
            HTTP_IDEMPOTENCY_KEY="same-key",
        )

    for _ in range(2):
        responses = race(*[post for _ in range(50)])
        assert {r.status_code for r in responses} <= {409, 422}, [r.content for r in responses]
    assert MatchReport.objects.count() == 0 and IdempotencyRecord.objects.count() == 0


def test_a_reopen_waits_for_triage_opening_an_item_for_the_same_content_and_is_refused():
    """Triage holds the item-choice lock while it opens an item; a reopen of a decided item
    about the same content waits for it, then sees that item and is refused: no twin items."""
    decided = item_open(PartnerFactory())
    senior = UserFactory(role="senior_moderator")
    review_decide(moderator=senior, item_id=decided.pk, decision="confirm", reason_code="other", note="seen")
    locked, opened = threading.Event(), []

    def triage_opening_an_item() -> None:
        with transaction.atomic():
            item_choice_lock(bank_hash_id=decided.bank_hash_id)
            locked.set()
            time.sleep(1)  # the reopen starts meanwhile
            opened.append(
                ReviewItem.objects.create(
                    bank_hash_id=decided.bank_hash_id,
                    content_hash=decided.content_hash,
                    content_from_image=decided.content_from_image,
                )
            )

    def reopen() -> Any:
        locked.wait(timeout=10)
        return review_decide(moderator=senior, item_id=decided.pk, decision="reopen", reason_code="other", note="again")

    _, reopened = race(triage_opening_an_item, reopen)
    assert isinstance(reopened, DecisionRefused), reopened
    open_items = ReviewItem.objects.filter(bank_hash_id=decided.bank_hash_id, state__in=OPEN_STATES)
    assert list(open_items) == opened
    assert not AuditEvent.objects.filter(action=ITEM_REOPEN).exists()


def test_cases_sharing_hashes_created_and_withdrawn_at_once_never_deadlock():
    shared = [random_pdq() for _ in range(30)]
    existing, _ = case_create(hashes=[HashInput("ImagePDQ", v, 90) for v in shared[::2]], actor=Actor.system("t"))

    def create(values: list[str]) -> Callable[[], Any]:
        return lambda: case_create(hashes=[HashInput("ImagePDQ", v, 90) for v in values], actor=Actor.system("t"))

    for _ in range(3):
        results = race(
            create(shared), create(shared[::-1]), lambda: case_withdraw(case_id=existing.pk, actor=Actor.system("t"))
        )
        assert not [r for r in results if isinstance(r, Exception)], results
