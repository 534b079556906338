"""What caseworkers do on a case page: add notes (caseworkers only see them), withdraw the case
on the person's behalf, withdraw one hash; each audited, and refusals change nothing."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from cases.audit_events import CASE_CREATED, CASE_HASH_WITHDRAWN, CASE_NOTE_ADDED, CASE_VIEWED, CASE_WITHDRAWN
from cases.models import Case, CaseHash, CaseNote
from cases.services import HashInput, case_create
from matching.models import BankHash
from tests.factories import PartnerFactory, item_open, partner_with_keys, random_pdq
from tests.staff_helpers import HTMX, signed_in


def new_case(hashes: int = 1) -> Case:
    items = [HashInput("ImagePDQ", random_pdq(), 90) for _ in range(hashes)]
    return case_create(hashes=items, actor=Actor.public())[0]


def case_url(case: Case) -> str:
    return reverse("casework:case", args=[case.pk])


def actions(*names: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=names))


def changes() -> list[AuditEvent]:
    """Every audit event but views (a refused action shows the page again, which is a view)."""
    return list(AuditEvent.objects.exclude(action=CASE_VIEWED))


@pytest.fixture
def cw_client(caseworker):  # type: ignore[no-untyped-def]
    return signed_in(caseworker)


@pytest.fixture
def case(db) -> Case:
    return new_case(hashes=2)


# --- notes --------------------------------------------------------------------------------


def test_a_note_is_added_and_shown_on_the_case_page(cw_client, caseworker, case):
    response = cw_client.post(case_url(case), {"action": "note", "body": "Spoke to her sister."})

    assert response.status_code == 302
    assert response.url == case_url(case) + "#notes"
    note = CaseNote.objects.get()
    assert (note.case, note.author, note.body) == (case, caseworker, "Spoke to her sister.")
    [event] = actions(CASE_NOTE_ADDED)
    assert (event.actor_user, event.after) == (caseworker, {"note_id": note.pk, "length": 20})
    page = cw_client.get(response.url).content.decode()
    assert "Spoke to her sister." in page and "Note added." in page


def test_a_note_added_with_htmx_swaps_the_notes_and_the_trail(cw_client, case):
    response = cw_client.post(case_url(case), {"action": "note", "body": "Follow up Monday."}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="notes"')
    assert "Follow up Monday." in body and "Note added." in body
    assert 'id="audit-trail" aria-labelledby="audit-heading" hx-swap-oob="true"' in body
    assert CASE_NOTE_ADDED in body
    assert "<html" not in body
    assert not actions(CASE_VIEWED)  # a fragment is not a view of the whole case


def test_the_note_form_works_with_and_without_javascript(cw_client, case):
    page = cw_client.get(case_url(case)).content.decode()
    assert f'method="post" action="{case_url(case)}"\n          hx-post="{case_url(case)}"' in page


@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("body", ["", "   ", "x" * 4001])
def test_an_empty_or_overlong_note_is_400_and_nothing_written(cw_client, case, extra, body):
    response = cw_client.post(case_url(case), {"action": "note", "body": body}, **extra)

    assert response.status_code == 400
    assert ("Write the note first" in response.content.decode()) is (len(body) <= 4000)
    assert not CaseNote.objects.exists()
    assert changes() == actions(CASE_CREATED)


def test_notes_are_for_caseworkers_only(cw_client, moderator, case):
    cw_client.post(case_url(case), {"action": "note", "body": "Lives with the abuser."})
    item = item_open(PartnerFactory(), bank_hash=case.hash_links.first().bank_hash)
    mod = signed_in(moderator)

    assert mod.get(case_url(case)).status_code == 403
    assert "Lives with the abuser" not in mod.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert all("abuser" not in f"{e.reason}{e.before}{e.after}" for e in AuditEvent.objects.all())


def test_notes_cannot_be_edited_or_deleted_from_the_page(cw_client, case):
    cw_client.post(case_url(case), {"action": "note", "body": "First."})
    for action in ("note-edit", "note-delete", "delete"):
        assert cw_client.post(case_url(case), {"action": action, "note": 1, "body": "x"}).status_code == 400
    assert list(CaseNote.objects.values_list("body", flat=True)) == ["First."]


# --- withdrawing the case -----------------------------------------------------------------


def test_a_caseworker_withdraws_the_case_with_a_reason(cw_client, caseworker, case):
    response = cw_client.post(case_url(case), {"action": "withdraw", "reason": "Asked by phone, ID checked."})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.WITHDRAWN
    assert set(BankHash.objects.values_list("status", flat=True)) == {"Withdrawn"}
    [event] = actions(CASE_WITHDRAWN)
    assert (event.actor_user, event.reason) == (caseworker, "Asked by phone, ID checked.")
    assert (event.before, event.after) == ({"status": "active"}, {"status": "withdrawn"})
    page = cw_client.get(response.url).content.decode()
    assert "The case is withdrawn" in page and 'value="withdraw"' not in page


def test_withdrawing_without_a_reason_is_400_and_nothing_changes(cw_client, case):
    response = cw_client.post(case_url(case), {"action": "withdraw", "reason": "  "})

    assert response.status_code == 400
    assert "Give a reason for the withdrawal" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert changes() == actions(CASE_CREATED)


def test_withdrawing_a_withdrawn_case_is_409(cw_client, case):
    cw_client.post(case_url(case), {"action": "withdraw", "reason": "first"})
    before = changes()

    response = cw_client.post(case_url(case), {"action": "withdraw", "reason": "again"})

    assert response.status_code == 409
    assert "already withdrawn" in response.content.decode()
    assert changes() == before


# --- withdrawing one hash -----------------------------------------------------------------


def fetch_records(client, keys) -> dict[str, dict]:  # type: ignore[no-untyped-def, type-arg]
    response = client.get(
        "/v1/FetchHashes",
        {"startTimestamp": 0, "pageSize": 100},
        HTTP_OCP_APIM_SUBSCRIPTION_KEY=keys.subscription_key,
        HTTP_X_FUNCTIONS_KEY=keys.function_keys["FetchHashes"],
    )
    assert response.status_code == 200, response.content
    return {r["hashValue"]: r for r in response.json()["hashRecords"]}


def test_a_caseworker_withdraws_one_hash_and_partners_fetch_it_withdrawn(client, cw_client, caseworker, case):
    _, keys = partner_with_keys()
    gone, kept = (link.bank_hash for link in case.hash_links.select_related("bank_hash").order_by("pk"))

    response = cw_client.post(
        case_url(case), {"action": "withdraw-hash", "bank_hash": gone.pk, "reason": "Three partners: not her."}
    )

    assert response.status_code == 302
    assert response.url == case_url(case) + f"#hash-{gone.pk}"
    [event] = actions(CASE_HASH_WITHDRAWN)
    assert (event.actor_user, event.reason) == (caseworker, "Three partners: not her.")
    assert event.after == {"bank_hash": gone.pk, "link": "Withdrawn", "hash_status": "Withdrawn"}
    records = fetch_records(client, keys)
    assert (records[gone.value]["hashStatus"], records[gone.value]["caseNumbers"]) == (
        "Withdrawn",
        {case.reference: "Withdrawn"},
    )
    assert records[kept.value]["hashStatus"] == "Active"
    page = cw_client.get(response.url).content.decode()
    assert "Withdrawn from this case" in page and "The hash is withdrawn from this case." in page


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"reason": ""}, 400, "Give a reason"),
        ({"bank_hash": "", "reason": "r"}, 400, "The form was incomplete"),
        ({"bank_hash": "abc", "reason": "r"}, 400, "The form was incomplete"),
    ],
)
def test_a_bad_hash_withdrawal_is_refused_and_nothing_changes(cw_client, case, data, status, message):
    own = case.hash_links.first().bank_hash_id
    response = cw_client.post(case_url(case), {"action": "withdraw-hash", "bank_hash": own, **data})

    assert response.status_code == status
    assert message in response.content.decode()
    assert not CaseHash.objects.filter(withdrawn_at__isnull=False).exists()
    assert changes() == actions(CASE_CREATED)


def test_withdrawing_another_cases_hash_is_404(cw_client, case):
    foreign = new_case().hash_links.get().bank_hash_id
    before = changes()

    response = cw_client.post(case_url(case), {"action": "withdraw-hash", "bank_hash": foreign, "reason": "r"})

    assert response.status_code == 404
    assert changes() == before


def test_withdrawing_a_hash_twice_is_409(cw_client, case):
    own = case.hash_links.first().bank_hash_id
    cw_client.post(case_url(case), {"action": "withdraw-hash", "bank_hash": own, "reason": "first"})
    before = changes()

    response = cw_client.post(case_url(case), {"action": "withdraw-hash", "bank_hash": own, "reason": "again"})

    assert response.status_code == 409
    assert "already withdrawn" in response.content.decode()
    assert changes() == before


def test_an_unknown_action_is_400(cw_client, case):
    assert cw_client.post(case_url(case), {"action": "explode"}).status_code == 400
    assert cw_client.post(case_url(case), {}).status_code == 400


@pytest.mark.parametrize("bank_hash", ["99999999999999999999999", "²", "-1"])
def test_a_malformed_hash_id_is_refused_with_the_page_and_changes_nothing(cw_client, case, bank_hash):
    before = changes()
    data = {"action": "withdraw-hash", "bank_hash": bank_hash, "reason": "disputed"}
    response = cw_client.post(case_url(case), data)
    assert response.status_code == 400
    assert changes() == before
