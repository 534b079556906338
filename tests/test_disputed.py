"""The caseworkers' disputed-hashes list: which hashes are on it (thresholds are settings),
the page, its pagination and its query count."""

import pytest
from django.urls import reverse

from audit.services import Actor
from cases.models import Case
from cases.selectors import disputed_hash_list
from cases.services import HashInput, case_create, case_hash_withdraw, case_withdraw
from matching.models import BankHash, HashFeedback
from matching.services import feedback_record
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, random_pdq
from tests.staff_helpers import HTMX, query_count, signed_in

DISPUTED = reverse("casework:disputed")
NOT_BLOCKED, BLOCKED = HashFeedback.Value.NOT_BLOCKED, HashFeedback.Value.BLOCKED

pytestmark = pytest.mark.django_db


def protected_hash() -> tuple[Case, BankHash]:
    case = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())[0]
    return case, case.hash_links.get().bank_hash


def say(bank_hash: BankHash, *values: str, hub: str | None = None) -> None:
    """One partner per value gives that feedback; ``hub`` is the hub's own."""
    for partner, value in [(PartnerFactory(), v) for v in values] + ([(None, hub)] if hub else []):
        feedback_record(bank_hash_id=bank_hash.pk, partner=partner, value=value, tags=[], actor=Actor.system())


def listed() -> list[int]:
    return [b.pk for b in disputed_hash_list()]


# --- which hashes ---------------------------------------------------------------------------


def test_two_partners_saying_not_blocked_put_a_hash_on_the_list():
    _, one = protected_hash()
    _, two = protected_hash()
    say(one, NOT_BLOCKED)
    say(two, NOT_BLOCKED, NOT_BLOCKED)

    assert listed() == [two.pk]


def test_the_threshold_is_a_setting(settings):
    _, two = protected_hash()
    _, three = protected_hash()
    say(two, NOT_BLOCKED, NOT_BLOCKED)
    say(three, NOT_BLOCKED, NOT_BLOCKED, NOT_BLOCKED)

    settings.NCII_DISPUTED_MIN_NOT_BLOCKED = 3
    assert listed() == [three.pk]
    settings.NCII_DISPUTED_MIN_NOT_BLOCKED = 1
    assert listed() == [three.pk, two.pk]  # most disputed first


@pytest.mark.parametrize("blocked_by", ["partner", "hub"])
def test_one_blocked_from_anyone_keeps_a_hash_off(blocked_by):
    _, bank_hash = protected_hash()
    say(bank_hash, NOT_BLOCKED, NOT_BLOCKED, NOT_BLOCKED)
    if blocked_by == "partner":
        say(bank_hash, BLOCKED)
    else:
        say(bank_hash, hub=BLOCKED)

    assert listed() == []


def test_the_hubs_own_not_blocked_is_not_a_partners():
    _, bank_hash = protected_hash()
    say(bank_hash, NOT_BLOCKED, hub=NOT_BLOCKED)
    assert listed() == []


def test_other_feedback_values_do_not_count():
    _, bank_hash = protected_hash()
    say(bank_hash, NOT_BLOCKED, HashFeedback.Value.PENDING_REVIEW, HashFeedback.Value.QUALITY_UNKNOWN)
    assert listed() == []


def test_only_hashes_an_active_case_protects(caseworker):
    withdrawn_case, in_withdrawn_case = protected_hash()
    case, withdrawn_link = protected_hash()
    imported = BankHashFactory(source=BankHash.Source.IMPORT)
    for bank_hash in (in_withdrawn_case, withdrawn_link, imported):
        say(bank_hash, NOT_BLOCKED, NOT_BLOCKED)
    assert listed() == [in_withdrawn_case.pk, withdrawn_link.pk]

    case_withdraw(case_id=withdrawn_case.pk, actor=Actor.public(), reason="by the person")
    actor = Actor.user(caseworker)
    case_hash_withdraw(case_id=case.pk, bank_hash_id=withdrawn_link.pk, actor=actor, reason="disputed")

    assert listed() == []


# --- the page -------------------------------------------------------------------------------


@pytest.fixture
def cw_client(caseworker):  # type: ignore[no-untyped-def]
    return signed_in(caseworker)


def test_the_page_is_for_caseworkers(client, moderator):
    assert client.get(DISPUTED).url.startswith(reverse("login"))
    assert signed_in(moderator).get(DISPUTED).status_code == 403
    assert signed_in(UserFactory(role="admin", is_staff=True)).get(DISPUTED).status_code == 403


def test_the_page_links_each_case_at_the_hash_but_shows_no_case_number(cw_client):
    case, bank_hash = protected_hash()
    for name in ("Vidshare", "Picshare"):
        partner = PartnerFactory(display_name=name)
        feedback_record(bank_hash_id=bank_hash.pk, partner=partner, value=NOT_BLOCKED, tags=[], actor=Actor.system())

    page = cw_client.get(DISPUTED).content.decode()

    assert f'href="{reverse("casework:case", args=[case.pk])}#hash-{bank_hash.pk}"' in page
    assert "1 disputed hash" in page and "Picshare, Vidshare" in page
    assert case.number not in page
    assert f'href="{DISPUTED}" aria-current="page"' in page


def test_the_list_paginates_with_and_without_htmx(cw_client, settings):
    settings.NCII_CASEWORK_PAGE_SIZE = 2
    for _ in range(5):
        say(protected_hash()[1], NOT_BLOCKED, NOT_BLOCKED)

    first = cw_client.get(DISPUTED)
    assert len(first.context["page"]) == 2
    body = first.content.decode()
    assert 'href="?page=2"' in body and 'hx-get="?page=2"' in body

    last = cw_client.get(DISPUTED, {"page": 3}, **HTMX)
    fragment = last.content.decode()
    assert fragment.lstrip().startswith('<section id="disputed-list"') and "<html" not in fragment
    assert fragment.count('href="/dashboard/cases/') == 1
    assert 'href="?page=2"' in fragment and "?page=4" not in fragment
    assert "HX-Request" in last.headers["Vary"]


@pytest.mark.parametrize("extra", [{}, HTMX], ids=["page", "htmx"])
def test_disputed_query_count_does_not_grow_with_rows(cw_client, extra):
    def disputed_case() -> None:
        case, bank_hash = protected_hash()
        say(bank_hash, NOT_BLOCKED, NOT_BLOCKED, NOT_BLOCKED)

    disputed_case()
    one = query_count(lambda: cw_client.get(DISPUTED, **extra))
    for _ in range(12):
        disputed_case()
    assert query_count(lambda: cw_client.get(DISPUTED, **extra)) == one
