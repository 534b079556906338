"""FetchHashes walks while other connections write: no change is ever missed."""

import random
import threading
import time

import pytest
from django.db import connections, transaction

from audit.services import Actor
from cases.models import Case
from cases.services import HashInput, case_create, case_withdraw
from matching.exchange_selectors import fetch_page, record_out
from matching.models import BankHash
from matching.services import feedback_record
from partners.models import Partner
from tests.factories import PartnerFactory, random_pdq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def writer(stop: threading.Event, partner_ids: list[int], seed: int) -> None:
    rng = random.Random(seed)
    try:
        while not stop.is_set():
            action = rng.random()
            if action < 0.5:
                case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
            elif action < 0.8 and BankHash.objects.exists():
                bank_hash = BankHash.objects.order_by("?").first()
                with transaction.atomic():  # commits a moment after taking its modification time
                    feedback_record(
                        bank_hash_id=bank_hash.pk,
                        partner=Partner.objects.get(pk=rng.choice(partner_ids)),
                        value=rng.choice(["Blocked", "NotBlocked", "PendingReview"]),
                        tags=[],
                        actor=Actor.system(),
                    )
                    time.sleep(rng.random() * 0.05)
            else:
                case = Case.objects.filter(status="active").order_by("?").first()
                if case:
                    case_withdraw(case_id=case.pk, actor=Actor.public())
            time.sleep(rng.random() * 0.01)
    finally:
        connections.close_all()


def walk_to_end(start: int, seen: dict) -> int:
    token, checkpoint = None, start
    while True:
        page = fetch_page(start=start, page_size=rng_page_size(), token=token)
        for record in page.records:
            seen[(record["signalType"], record["hashValue"])] = record
        assert page.next_set_timestamp >= checkpoint  # never rewinds
        checkpoint, token = page.next_set_timestamp, page.next_token
        if token is None:
            return checkpoint


def rng_page_size() -> int:
    return random.choice([1, 3, 7, 50])


def test_walks_during_concurrent_writes_miss_no_change():
    partners = [PartnerFactory().pk for _ in range(3)]
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(stop, partners, i)) for i in range(3)]
    for t in threads:
        t.start()
    seen: dict = {}
    checkpoint = 10
    deadline = time.monotonic() + 4
    try:
        while time.monotonic() < deadline:
            checkpoint = walk_to_end(checkpoint, seen)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    walk_to_end(checkpoint, seen)  # the partner's next regular poll

    final = {(b.signal_type, b.value): record_out(b) for b in BankHash.objects.prefetch_related("feedback__partner")}
    assert len(final) > 20
    assert seen.keys() == final.keys()
    stale = [key for key in final if _comparable(seen[key]) != _comparable(final[key])]
    assert not stale, f"{len(stale)} hashes whose latest change was missed"


def _comparable(record: dict) -> tuple:
    feedback = sorted((f["source"], f["feedbackValue"]) for f in record["CSPFeedbacks"])
    return record["hashStatus"], record["caseNumbers"], feedback
