"""Caseworker services: notes, views of a case, withdrawal on the person's behalf and of one
hash, each with its audit event; and what partners then fetch."""

import pytest

from audit.models import AuditEvent
from audit.services import Actor
from cases.audit_events import CASE, CASE_HASH_WITHDRAWN, CASE_NOTE_ADDED, CASE_VIEWED, CASE_WITHDRAWN
from cases.models import Case, CaseHash, CaseNote
from cases.services import (
    HashInput,
    NoteInvalid,
    ReasonRequired,
    WithdrawRefused,
    case_create,
    case_hash_withdraw,
    case_note_add,
    case_view_record,
    case_withdraw,
)
from matching.exchange_selectors import fetch_page
from matching.models import BankHash
from matching.services import bank_hash_upsert
from tests.factories import random_pdq

pytestmark = pytest.mark.django_db


def new_case(*values: str) -> Case:
    hashes = [HashInput("ImagePDQ", v, 90) for v in values or [random_pdq()]]
    return case_create(hashes=hashes, actor=Actor.public())[0]


def bank(value: str) -> BankHash:
    return BankHash.objects.get(value=value)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def records(checkpoint: int = 0) -> dict[str, dict]:  # type: ignore[type-arg]
    return {r["hashValue"]: r for r in fetch_page(start=checkpoint, page_size=1000, token=None).records}


# --- notes and views ------------------------------------------------------------------------


def test_a_note_is_stored_and_audited_without_its_text(caseworker):
    case = new_case()

    note = case_note_add(case_id=case.pk, author=caseworker, body="  Called back; she is safe.  ")

    assert (note.case, note.author, note.body) == (case, caseworker, "Called back; she is safe.")
    [event] = events(CASE_NOTE_ADDED)
    assert (event.actor_type, event.actor_user, event.object_type, event.object_id) == (
        "user",
        caseworker,
        CASE,
        str(case.pk),
    )
    assert (event.before, event.after) == ({}, {"note_id": note.pk, "length": 25})
    assert "safe" not in f"{event.reason}{event.before}{event.after}"


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 4001])
def test_an_empty_or_overlong_note_is_refused_and_nothing_written(caseworker, body):
    case = new_case()
    before = AuditEvent.objects.count()

    with pytest.raises(NoteInvalid):
        case_note_add(case_id=case.pk, author=caseworker, body=body)

    assert not CaseNote.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_view_of_a_case_is_an_audit_event(caseworker):
    case = new_case()

    case_view_record(case_id=case.pk, viewer=caseworker)

    [event] = events(CASE_VIEWED)
    assert (event.actor_user, event.object_type, event.object_id) == (caseworker, CASE, str(case.pk))


# --- withdrawing the case on the person's behalf ------------------------------------------


def test_staff_withdraw_a_case_with_a_reason(caseworker):
    value = random_pdq()
    case = new_case(value)

    case_withdraw(case_id=case.pk, actor=Actor.user(caseworker), reason=" asked by phone ")

    case.refresh_from_db()
    assert case.status == Case.Status.WITHDRAWN
    assert bank(value).status == BankHash.Status.WITHDRAWN
    [event] = events(CASE_WITHDRAWN)
    assert (event.actor_user, event.reason) == (caseworker, "asked by phone")
    assert (event.before, event.after) == ({"status": "active"}, {"status": "withdrawn"})


def test_staff_must_give_a_reason_to_withdraw_a_case(caseworker):
    case = new_case()
    before = AuditEvent.objects.count()

    with pytest.raises(ReasonRequired):
        case_withdraw(case_id=case.pk, actor=Actor.user(caseworker), reason="  ")

    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert AuditEvent.objects.count() == before


# --- withdrawing one hash -----------------------------------------------------------------


def test_withdrawing_one_hash_leaves_the_rest_of_the_case(caseworker):
    gone, kept = random_pdq(), random_pdq()
    case = new_case(gone, kept)
    was = bank(gone).modified_at

    link = case_hash_withdraw(
        case_id=case.pk, bank_hash_id=bank(gone).pk, actor=Actor.user(caseworker), reason="3 partners: not her"
    )

    assert link.withdrawn_at is not None
    assert (bank(gone).status, bank(gone).case_refs) == ("Withdrawn", {case.reference: "Withdrawn"})
    assert bank(gone).modified_at > was
    assert (bank(kept).status, bank(kept).case_refs) == ("Active", {case.reference: "Active"})
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    [event] = events(CASE_HASH_WITHDRAWN)
    assert (event.actor_user, event.object_id, event.reason) == (caseworker, str(case.pk), "3 partners: not her")
    assert event.before == {"bank_hash": bank(gone).pk, "link": "Active", "hash_status": "Active"}
    assert event.after == {"bank_hash": bank(gone).pk, "link": "Withdrawn", "hash_status": "Withdrawn"}


def test_partners_fetch_the_withdrawn_hash_after_their_checkpoint(caseworker):
    gone, kept = random_pdq(), random_pdq()
    case = new_case(gone, kept)
    checkpoint = fetch_page(start=0, page_size=1000, token=None).next_set_timestamp

    case_hash_withdraw(case_id=case.pk, bank_hash_id=bank(gone).pk, actor=Actor.user(caseworker), reason="disputed")

    fetched = records(checkpoint)
    assert fetched[gone]["hashStatus"] == "Withdrawn"
    assert fetched[gone]["caseNumbers"] == {case.reference: "Withdrawn"}
    assert records()[kept]["hashStatus"] == "Active"


def test_a_hash_another_case_protects_stays_active(caseworker):
    shared = random_pdq()
    leaving, staying = new_case(shared), new_case(shared)

    case_hash_withdraw(case_id=leaving.pk, bank_hash_id=bank(shared).pk, actor=Actor.user(caseworker), reason="r")

    assert bank(shared).status == BankHash.Status.ACTIVE
    assert bank(shared).case_refs == {leaving.reference: "Withdrawn", staying.reference: "Active"}
    assert events(CASE_HASH_WITHDRAWN)[0].after["hash_status"] == "Active"


def test_a_hash_another_source_contributed_stays_active(caseworker):
    value = random_pdq()
    bank_hash_upsert(signal_type="ImagePDQ", value=value, quality=90, source=BankHash.Source.IMPORT)
    case = new_case(value)

    case_hash_withdraw(case_id=case.pk, bank_hash_id=bank(value).pk, actor=Actor.user(caseworker), reason="r")

    assert bank(value).status == BankHash.Status.ACTIVE
    assert bank(value).case_refs == {case.reference: "Withdrawn"}


def test_withdrawing_the_case_later_leaves_the_withdrawn_hash_alone(caseworker):
    gone, kept = random_pdq(), random_pdq()
    case = new_case(gone, kept)
    case_hash_withdraw(case_id=case.pk, bank_hash_id=bank(gone).pk, actor=Actor.user(caseworker), reason="r")
    was = bank(gone).modified_at

    case_withdraw(case_id=case.pk, actor=Actor.public(), reason="by the person")

    assert bank(gone).modified_at == was
    assert bank(kept).status == BankHash.Status.WITHDRAWN


@pytest.mark.parametrize("already", ["hash", "case"])
def test_withdrawing_an_already_withdrawn_hash_is_refused(caseworker, already):
    value = random_pdq()
    case = new_case(value)
    actor = Actor.user(caseworker)
    if already == "hash":
        case_hash_withdraw(case_id=case.pk, bank_hash_id=bank(value).pk, actor=actor, reason="first")
    else:
        case_withdraw(case_id=case.pk, actor=actor, reason="first")
    before, was = AuditEvent.objects.count(), bank(value).modified_at

    with pytest.raises(WithdrawRefused):
        case_hash_withdraw(case_id=case.pk, bank_hash_id=bank(value).pk, actor=actor, reason="again")

    assert (AuditEvent.objects.count(), bank(value).modified_at) == (before, was)


def test_withdrawing_a_hash_needs_a_reason_and_a_hash_of_the_case(caseworker):
    case, other = new_case(), new_case()
    own = case.hash_links.get().bank_hash_id
    foreign = other.hash_links.get().bank_hash_id
    before = AuditEvent.objects.count()

    with pytest.raises(ReasonRequired):
        case_hash_withdraw(case_id=case.pk, bank_hash_id=own, actor=Actor.user(caseworker), reason=" ")
    with pytest.raises(CaseHash.DoesNotExist):
        case_hash_withdraw(case_id=case.pk, bank_hash_id=foreign, actor=Actor.user(caseworker), reason="r")

    assert AuditEvent.objects.count() == before
    assert not CaseHash.objects.filter(withdrawn_at__isnull=False).exists()
