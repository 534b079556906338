"""The blind second reviewer never reads the first decision anywhere on the staff pages until
they have recorded theirs: a moderator for every review they may give, a senior moderator for
the reviews whose blind page they opened. Everyone else keeps every page as it was."""

import csv
import io

import pytest

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.models import HashFeedback
from moderation.audit_events import QA_BLIND_OPENED
from moderation.models import QaReview
from moderation.qa_services import qa_second_decide
from moderation.services import review_decide
from ncii_site.roles import user_role_assign
from tests.factories import PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
DECISION = "<dt>Last decision</dt>"  # the item page's account of the standing decision


@pytest.fixture
def decided(settings, moderator):
    """A confirmed item whose decision waits for a blind second review."""
    settings.NCII_QA_SAMPLE_RATE = 1.0
    item = item_open(PartnerFactory())
    review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    return item, QaReview.objects.get(item=item)


def _blind_senior(review):
    """A senior moderator who opened the review's blind page: its pending second reviewer."""
    senior = UserFactory(role="senior_moderator")
    client = signed_in(senior)
    assert "data-qa-blind" in client.get(f"/dashboard/qa/{review.pk}/").content.decode()
    return senior, client


def test_the_item_page_sends_the_blind_senior_to_the_blind_page(decided, moderator):
    item, review = decided
    senior, client = _blind_senior(review)
    client.get(f"/dashboard/qa/{review.pk}/")  # opening it again records nothing more
    assert AuditEvent.objects.filter(action=QA_BLIND_OPENED, object_id=str(review.pk)).count() == 1
    response = client.get(f"/dashboard/items/{item.pk}/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(f"/dashboard/qa/{review.pk}/", 302)]
    assert f"Item {item.pk}&#x27;s decision is hidden from you" in page and "data-qa-blind" in page
    for other in (UserFactory(role="senior_moderator"), moderator):  # not blind: nothing changes for them
        assert DECISION in signed_in(other).get(f"/dashboard/items/{item.pk}/").content.decode()


def test_a_refused_post_to_the_item_page_shows_the_moderator_no_decision(decided):
    item, review = decided
    response = signed_in(UserFactory(role="moderator")).post(f"/dashboard/items/{item.pk}/", {"decision": "reopen"})
    assert response.status_code == 302 and response["Location"] == f"/dashboard/qa/{review.pk}/"


def test_the_queue_lists_leave_the_item_out_for_the_blind_senior(decided):
    item, review = decided
    _, client = _blind_senior(review)
    other = signed_in(UserFactory(role="senior_moderator"))
    link = f'href="/dashboard/items/{item.pk}/"'
    for state in ("confirmed", ""):
        assert link not in client.get("/dashboard/", {"state": state}).content.decode()
        assert link in other.get("/dashboard/", {"state": state}).content.decode()


def test_another_item_on_the_hash_shows_neither_the_decision_nor_the_hubs_feedback(decided, settings):
    item, review = decided
    senior, client = _blind_senior(review)
    other_senior = UserFactory(role="senior_moderator")
    assert HashFeedback.objects.get(bank_hash_id=item.bank_hash_id, partner=None).value == "Blocked"
    sibling = item_open(PartnerFactory(), bank_hash=item.bank_hash)
    assert sibling.pk != item.pk
    review_decide(moderator=other_senior, item_id=sibling.pk, decision="confirm", reason_code="different_image")
    page = client.get(f"/dashboard/items/{sibling.pk}/").content.decode()
    assert f"/dashboard/items/{item.pk}/" not in page  # neither a prior decision nor j/k leads there
    hub_row = f"<td>{settings.NCII_HUB_NAME}</td>"  # its feedback is the standing decision
    assert hub_row not in page
    seen = signed_in(UserFactory(role="senior_moderator")).get(f"/dashboard/items/{sibling.pk}/").content.decode()
    assert f'href="/dashboard/items/{item.pk}/">#{item.pk}</a>' in seen and hub_row in seen


def test_the_bulk_page_does_not_show_the_blind_senior_the_item(decided):
    item, review = decided
    _, client = _blind_senior(review)
    assert client.get("/dashboard/bulk/", {"item": item.pk}).status_code == 404
    others = signed_in(UserFactory(role="senior_moderator")).get("/dashboard/bulk/", {"item": item.pk})
    assert "Confirmed" in others.content.decode()


def _exported(client) -> list[str]:
    body = b"".join(client.get("/dashboard/decisions/export/", {"download": "1"}).streaming_content).decode()
    return [row["item"] for row in csv.DictReader(io.StringIO(body))]


def test_the_export_leaves_out_the_blind_seniors_review(decided):
    item, review = decided
    _, client = _blind_senior(review)
    assert str(item.pk) not in _exported(client)
    assert _exported(signed_in(UserFactory(role="senior_moderator"))) == [str(item.pk)]


def test_the_case_page_hides_the_decision_and_the_hubs_verdict(decided, moderator):
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    item = item_open(PartnerFactory(), bank_hash=case.hash_links.get().bank_hash)
    review_decide(moderator=moderator, item_id=item.pk, decision="dismiss", reason_code="different_image")
    senior, client = _blind_senior(QaReview.objects.get(item=item))
    user_role_assign(user=senior, role="caseworker")
    page = client.get(f"/dashboard/cases/{case.pk}/").content.decode()
    assert page.count("data-decision-hidden") == 2 and "Dismissed" not in page and "NotBlocked 0" in page
    other = UserFactory(role="senior_moderator")
    user_role_assign(user=other, role="caseworker")
    seen = signed_in(other).get(f"/dashboard/cases/{case.pk}/").content.decode()
    assert "data-decision-hidden" not in seen and "Dismissed" in seen and "NotBlocked 1" in seen


def test_once_recorded_the_senior_sees_every_page_again(decided):
    item, review = decided
    senior, client = _blind_senior(review)
    qa_second_decide(moderator=senior, qa_id=review.pk, decision="confirm", reason_code="matches_bank")
    assert DECISION in client.get(f"/dashboard/items/{item.pk}/").content.decode()
    assert str(item.pk) in _exported(client)


def test_a_senior_who_never_opened_the_blind_page_keeps_the_item_page(decided):
    item, review = decided
    assert signed_in(UserFactory(role="senior_moderator")).get(f"/dashboard/items/{item.pk}/").status_code == 200
    assert not AuditEvent.objects.filter(action=QA_BLIND_OPENED).exists()
