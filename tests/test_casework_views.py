"""The caseworkers' pages: who may use them, finding a case by number, and the case page
(what it shows, that every view of it is audited, and its query count)."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from cases.audit_events import CASE, CASE_CREATED, CASE_VIEWED
from cases.models import Case
from cases.services import HashInput, case_create
from matching.models import HashFeedback
from matching.services import feedback_record
from tests.factories import PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import query_count, signed_in

SEARCH = reverse("casework:search")


def case_url(case: Case) -> str:
    return reverse("casework:case", args=[case.pk])


def new_case(hashes: int = 1, source: str = Case.Source.SELF) -> Case:
    items = [HashInput("ImagePDQ", random_pdq(), 90) for _ in range(hashes)]
    return case_create(hashes=items, source=source, actor=Actor.public())[0]


def with_matches(case: Case) -> Case:
    """Per hash: partners A and B report a match (one review item), A says Blocked, and C,
    which reported nothing, says NotBlocked."""
    for link in case.hash_links.select_related("bank_hash"):
        a, b, c = PartnerFactory(), PartnerFactory(), PartnerFactory()
        item_open(a, b, bank_hash=link.bank_hash)
        for partner, value in ((a, HashFeedback.Value.BLOCKED), (c, HashFeedback.Value.NOT_BLOCKED)):
            feedback_record(bank_hash_id=link.bank_hash_id, partner=partner, value=value, tags=[], actor=Actor.system())
    return case


@pytest.fixture
def cw_client(caseworker):  # type: ignore[no-untyped-def]
    return signed_in(caseworker)


def views_of(case: Case) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=CASE_VIEWED, object_id=str(case.pk)))


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_casework_pages_need_sign_in(client, db, method):
    case = new_case()
    for url in (SEARCH, case_url(case)):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next=")
    assert not views_of(case)


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "admin", None])
def test_other_roles_get_403_and_leave_no_trace(db, role):
    case = new_case()
    client = signed_in(UserFactory(role=role))
    before = AuditEvent.objects.count()

    assert client.get(SEARCH).status_code == 403
    assert client.post(SEARCH, {"number": case.number}).status_code == 403
    assert client.get(case_url(case)).status_code == 403
    assert client.post(case_url(case), {"action": "note", "body": "x"}).status_code == 403
    assert client.post(case_url(case), {"action": "withdraw", "reason": "x"}).status_code == 403

    assert AuditEvent.objects.count() == before
    case.refresh_from_db()
    assert (case.status, case.notes.count()) == (Case.Status.ACTIVE, 0)


def test_caseworkers_see_their_navigation_and_moderators_do_not(cw_client, moderator):
    page = cw_client.get(SEARCH).content.decode()
    assert f'href="{SEARCH}" aria-current="page">Cases' in page
    assert reverse("moderation:queue") + '"' not in page
    assert f'href="{SEARCH}"' not in signed_in(moderator).get(reverse("moderation:queue")).content.decode()


def test_the_search_page_links_to_assisted_case_creation(cw_client):
    assert 'href="/dashboard/cases/new/"' in cw_client.get(SEARCH).content.decode()


# --- finding a case -----------------------------------------------------------------------


def test_the_search_form_posts_so_the_number_stays_out_of_urls(cw_client):
    page = cw_client.get(SEARCH).content.decode()
    assert f'method="post" action="{SEARCH}"' in page
    assert 'name="number"' in page


@pytest.mark.parametrize("typed", [str.upper, str.lower, lambda n: n.replace("-", " "), lambda n: n[3:]])
def test_a_case_is_found_by_its_exact_number_however_typed(cw_client, typed):
    case = new_case()

    response = cw_client.post(SEARCH, {"number": typed(case.number)})

    assert response.status_code == 302
    assert response.url == case_url(case)
    assert case.number not in response.url


@pytest.mark.parametrize("typed", [lambda n: n[:-1], lambda n: n[:8], lambda n: n + "X", lambda n: "NC-"])
def test_no_partial_matches(cw_client, typed):
    case = new_case()

    response = cw_client.post(SEARCH, {"number": typed(case.number)})

    assert response.status_code == 200
    assert "No case has that number" in response.content.decode()
    assert not views_of(case)


def test_a_blank_search_says_what_to_type(cw_client):
    response = cw_client.post(SEARCH, {"number": "  "})
    assert "Type the case number" in response.content.decode()


def test_search_query_count_does_not_grow_with_cases(cw_client):
    case = new_case()

    def counts() -> tuple[int, int, int]:
        found = query_count(lambda: cw_client.post(SEARCH, {"number": case.number}))
        missed = query_count(lambda: cw_client.post(SEARCH, {"number": "NC-0000"}))
        return found, missed, query_count(lambda: cw_client.get(SEARCH))

    first = counts()
    for _ in range(15):
        new_case()
    assert counts() == first


# --- the case page ------------------------------------------------------------------------


def test_the_case_page_shows_status_source_hashes_feedback_and_review(cw_client):
    case = with_matches(new_case(source=Case.Source.HELPLINE))
    bank_hash = case.hash_links.get().bank_hash
    item = bank_hash.review_items.get()

    page = cw_client.get(case_url(case)).content.decode()

    assert case.number in page and case.reference in page
    assert "Active" in page and "Helpline-assisted" in page
    assert "ImagePDQ" in page and bank_hash.value in page
    row = page[page.index(f'id="hash-{bank_hash.pk}"') :]
    assert '<td class="num">2</td>' in row  # partners matched: A and B
    assert "Blocked 1 · NotBlocked 1 · Pending 1" in re.sub(r"<[^>]+>", "", row)  # each count wraps whole
    assert "(no match reported)" in row  # C
    assert f"#{item.pk}" in page and "Pending" in page
    assert CASE_CREATED in page


def test_the_case_page_links_review_items_only_for_moderators(cw_client, db):
    case = with_matches(new_case())
    item_href = reverse("moderation:item", args=[case.hash_links.get().bank_hash.review_items.get().pk])
    assert item_href not in cw_client.get(case_url(case)).content.decode()

    both = UserFactory(role="caseworker")
    both.groups.add(*UserFactory(role="moderator").groups.all())
    assert item_href in signed_in(both).get(case_url(case)).content.decode()


def test_every_view_of_a_case_page_is_an_audit_event(cw_client, caseworker):
    case = new_case()

    cw_client.get(case_url(case))
    cw_client.get(case_url(case))

    events = views_of(case)
    assert len(events) == 2
    assert {(e.actor_type, e.actor_user, e.object_type) for e in events} == {("user", caseworker, CASE)}
    assert CASE_VIEWED in cw_client.get(case_url(case)).content.decode()  # in the trail it shows


def test_an_unknown_case_is_404_and_not_audited(cw_client):
    before = AuditEvent.objects.count()
    assert cw_client.get(reverse("casework:case", args=[999_999])).status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_withdrawn_case_offers_no_withdrawals(cw_client, caseworker):
    from cases.services import case_withdraw

    case = new_case()
    case_withdraw(case_id=case.pk, actor=Actor.public(), reason="by the person")

    page = cw_client.get(case_url(case)).content.decode()

    assert "Withdrawn from this case" in page
    assert 'value="withdraw"' not in page and 'value="withdraw-hash"' not in page
    assert 'value="note"' in page


def test_case_page_query_count_does_not_grow_with_hashes_reports_and_feedback(cw_client):
    small, large = with_matches(new_case(hashes=1)), with_matches(new_case(hashes=6))
    assert query_count(lambda: cw_client.get(case_url(small))) == query_count(lambda: cw_client.get(case_url(large)))
