"""A caseworker erases a withdrawn case's remaining data on the person's request (GDPR Art. 17):
exactly what goes (links, notes, number, PIN, the reference on bank hashes) and what stays (the
bank hashes, withdrawn, for partners; the case's status and dates; the audit facts)."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import Actor
from cases.audit_events import CASE_ERASED, CASE_VIEWED, CASE_WITHDRAWN
from cases.models import Case, CaseHash, CaseNote
from cases.services import HashInput, case_authenticate, case_create, case_note_add, case_withdraw
from matching.models import BankHash
from tests.factories import random_pdq
from tests.staff_helpers import signed_in


def new_case(*values: str) -> tuple[Case, str]:
    return case_create(hashes=[HashInput("ImagePDQ", v, 90) for v in values], actor=Actor.public())


@pytest.fixture
def cw_client(caseworker):  # type: ignore[no-untyped-def]
    return signed_in(caseworker)


@pytest.fixture
def withdrawn(db, caseworker):  # type: ignore[no-untyped-def]
    """A withdrawn case with two hashes (one shared with another, active case) and a note."""
    shared, own = random_pdq(), random_pdq()
    new_case(shared)
    case, pin = new_case(shared, own)
    case_note_add(case_id=case.pk, author=caseworker, body="Her new address is 12 Elm Street.")
    case_withdraw(case_id=case.pk, actor=Actor.user(caseworker), reason="She rang from her sister Ann's phone.")
    case.refresh_from_db()
    return case, pin, shared, own


def erase(client, case: Case, **data: str):  # type: ignore[no-untyped-def]
    fields = {"action": "erase", "reason": "The person asked by phone on 28 November.", "confirm": "on"}
    return client.post(reverse("casework:case", args=[case.pk]), fields | data)


def test_erasing_a_withdrawn_case_removes_links_notes_number_and_pin(cw_client, caseworker, withdrawn):
    case, pin, shared, own = withdrawn
    number, reference = case.number, case.reference
    note_id = CaseNote.objects.get(case=case).pk
    bank_ids = sorted(BankHash.objects.filter(value__in=[shared, own]).values_list("pk", flat=True))

    response = erase(cw_client, case)

    assert response.status_code == 302
    case.refresh_from_db()
    assert not CaseHash.objects.filter(case=case).exists()
    assert not CaseNote.objects.filter(case=case).exists()
    assert case.number != number and case.erased_at is not None
    with pytest.raises(Exception, match="No case matches"):
        case_authenticate(number=number, pin=pin)
    # What stays: the case's facts (the metrics count it), and the bank hashes for partners.
    assert (case.status, case.reference, case.withdrawn_at is not None) == ("withdrawn", reference, True)
    own_hash, shared_hash = BankHash.objects.get(value=own), BankHash.objects.get(value=shared)
    assert own_hash.status == "Withdrawn" and own_hash.case_refs == {}
    assert shared_hash.status == "Active" and reference not in shared_hash.case_refs
    # The audit trail keeps who, when, why and which ids; never the note's text.
    [event] = AuditEvent.objects.filter(action=CASE_ERASED)
    assert (event.actor_user, event.object_id) == (caseworker, str(case.pk))
    assert event.reason == "The person asked by phone on 28 November."
    withdrawal = AuditEvent.objects.get(action=CASE_WITHDRAWN)
    assert event.after == {
        "bank_hashes": bank_ids,
        "links": 2,
        "note_ids": [note_id],
        "notes": 1,
        "reasons_erased": [withdrawal.seq],
    }
    # The withdrawal's facts stay; its reason's text is gone, its digest is still chained.
    assert (withdrawal.actor_user, withdrawal.after, withdrawal.reason) == (caseworker, {"status": "withdrawn"}, "")
    assert withdrawal.reason_sha256 and withdrawal.reason_erased_at is not None
    assert not AuditEvent.objects.filter(reason__contains="Ann").exists()
    assert "Elm Street" not in str(list(AuditEvent.objects.values_list("before", "after")))
    assert audit_chain_verify()[1] is None
    call_command("verify_audit")
    page = cw_client.get(response.url).content.decode()
    assert "Elm Street" not in page and "Erased" in page and "Erase the case" not in page
    assert "Ann" not in page and "(erased " in page  # the withdrawal's row says its reason was erased


def test_erasure_needs_a_reason_and_the_confirmation(cw_client, withdrawn):
    case = withdrawn[0]
    before = AuditEvent.objects.exclude(action=CASE_VIEWED).count()

    no_reason = erase(cw_client, case, reason="  ")
    unconfirmed = erase(cw_client, case, confirm="")

    assert no_reason.status_code == unconfirmed.status_code == 400
    assert "Give a reason for the erasure" in no_reason.content.decode()
    assert "Tick the box to confirm the erasure" in unconfirmed.content.decode()
    assert CaseNote.objects.filter(case=case).count() == 1 and CaseHash.objects.filter(case=case).count() == 2
    assert AuditEvent.objects.exclude(action=CASE_VIEWED).count() == before


def test_an_active_case_cannot_be_erased_and_shows_no_erase_button(cw_client, caseworker, db):
    case, _ = new_case(random_pdq())
    case_note_add(case_id=case.pk, author=caseworker, body="Still protecting.")

    assert "Erase the case" not in cw_client.get(reverse("casework:case", args=[case.pk])).content.decode()
    response = erase(cw_client, case)

    assert response.status_code == 409
    assert "Only a withdrawn case can be erased" in response.content.decode()
    assert CaseHash.objects.filter(case=case).count() == 1 and CaseNote.objects.filter(case=case).count() == 1
    assert not AuditEvent.objects.filter(action=CASE_ERASED).exists()


def test_a_second_erasure_is_refused(cw_client, withdrawn):
    case = withdrawn[0]
    erase(cw_client, case)

    response = erase(cw_client, case)

    assert response.status_code == 409
    assert "already erased" in response.content.decode()
    assert AuditEvent.objects.filter(action=CASE_ERASED).count() == 1


def test_other_roles_cannot_erase(db, moderator, withdrawn):
    case = withdrawn[0]

    response = erase(signed_in(moderator), case)

    assert response.status_code == 403
    assert CaseNote.objects.filter(case=case).exists()


def test_an_erased_case_takes_no_more_notes(cw_client, withdrawn):
    case = withdrawn[0]
    erase(cw_client, case)

    page = cw_client.get(reverse("casework:case", args=[case.pk])).content.decode()
    response = cw_client.post(reverse("casework:case", args=[case.pk]), {"action": "note", "body": "Late note."})

    assert "Add note" not in page
    assert response.status_code == 400 and "takes no more notes" in response.content.decode()
    assert not CaseNote.objects.filter(case=case).exists()
