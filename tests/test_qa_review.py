"""Blind second review: sampling by a keyed hash, the second moderator's blind page and
decision, the senior's settling of a disagreement (which stands, and reaches partners as
feedback), who may see what, and the agreement figures on the metrics page."""

import re

import pytest

from audit.models import AuditEvent
from matching.models import HashFeedback, MatchReport
from moderation.audit_events import ITEM_QA_OVERTURN, QA_RESOLVED, QA_SAMPLED, QA_SECOND
from moderation.models import QaReview, QaState, ReviewItem
from moderation.qa_sampling import qa_draw
from moderation.qa_selectors import qa_agreement
from moderation.qa_services import QaNotFound, qa_resolve, qa_second_decide
from moderation.services import NotPermitted, review_decide
from ncii_site.settings import env_rates
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import query_count, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_all(settings):
    settings.NCII_QA_SAMPLE_RATE = 1.0


def _decided(moderator, decision="confirm", code="matches_bank", partner=None, note="", visibility="internal"):
    item = item_open(partner or PartnerFactory())
    review_decide(
        moderator=moderator, item_id=item.pk, decision=decision, reason_code=code, note=note, note_visibility=visibility
    )
    return item


def test_sampling_is_a_keyed_hash_below_the_rate(settings, moderator):
    draws = [qa_draw(item_id=i, version=2) for i in range(1, 2001)]
    assert draws == [qa_draw(item_id=i, version=2) for i in range(1, 2001)]  # deterministic
    assert 0.45 < sum(d < 0.5 for d in draws) / len(draws) < 0.55
    settings.NCII_QA_SAMPLE_RATE = 0.5
    items = [_decided(moderator) for _ in range(6)]
    for item in items:
        item.refresh_from_db()
        expected = qa_draw(item_id=item.pk, version=item.version) < 0.5
        assert QaReview.objects.filter(item=item).exists() == expected


def test_per_reason_rate_overrides_the_overall_one(settings, moderator):
    settings.NCII_QA_SAMPLE_RATE, settings.NCII_QA_SAMPLE_RATE_BY_REASON = 0.0, {"not_intimate": 1.0}
    _decided(moderator, code="matches_bank")
    sampled = _decided(moderator, decision="dismiss", code="not_intimate")
    assert list(QaReview.objects.values_list("item_id", flat=True)) == [sampled.pk]
    review = QaReview.objects.get()
    assert (review.first_by, review.first_state, review.first_code) == (moderator, "dismissed", "not_intimate")
    assert AuditEvent.objects.filter(action=QA_SAMPLED, object_id=str(review.pk)).exists()


def test_flood_items_are_not_sampled(sample_all, senior):
    item = item_open(PartnerFactory())
    ReviewItem.objects.filter(pk=item.pk).update(flood=True)
    review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    assert not QaReview.objects.exists()


def test_escalations_and_reopens_are_not_sampled(sample_all, moderator, senior):
    item = _decided(moderator, decision="escalate")
    assert not QaReview.objects.exists()
    review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    review_decide(moderator=senior, item_id=item.pk, decision="reopen", reason_code="new_information")
    assert QaReview.objects.count() == 1  # the confirmation only


def test_blind_page_hides_the_first_decision(sample_all):
    secret = "first decider's private reasoning"
    moderator = UserFactory(role="moderator", username="first-decider-7")
    _decided(moderator, code="not_intimate", note=secret)
    review = QaReview.objects.get()
    page = signed_in(UserFactory(role="moderator")).get(f"/dashboard/qa/{review.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-qa-blind" in html
    html = re.sub(r"<select.*?</select>", "", html, flags=re.S)  # the reasons to choose from
    for revealing in (secret, "Not intimate imagery", moderator.username, "Confirmed", "item.confirm", "Audit trail"):
        assert revealing not in html


def test_first_decider_can_neither_see_nor_decide_it(sample_all, moderator):
    _decided(moderator)
    review = QaReview.objects.get()
    client = signed_in(moderator)
    assert client.get(f"/dashboard/qa/{review.pk}/").status_code == 404
    assert f"Review #{review.pk}" not in client.get("/dashboard/qa/").content.decode()
    assert client.post(f"/dashboard/qa/{review.pk}/", {"decision": "dismiss"}).status_code == 404
    with pytest.raises(QaNotFound):
        qa_second_decide(moderator=moderator, qa_id=review.pk, decision="dismiss", reason_code="different_image")
    review.refresh_from_db()
    assert review.state == QaState.WAITING


def test_partner_moderator_sees_only_their_partners_reviews(sample_all, moderator):
    own, foreign = PartnerFactory(), PartnerFactory()
    _decided(moderator, partner=own)
    _decided(moderator, partner=foreign)
    own_review, foreign_review = QaReview.objects.order_by("pk")
    client = signed_in(UserFactory(role="moderator", partner=own))
    listing = client.get("/dashboard/qa/").content.decode()
    assert f"Review #{own_review.pk}<" in listing and f"Review #{foreign_review.pk}<" not in listing
    assert client.get(f"/dashboard/qa/{foreign_review.pk}/").status_code == 404


def test_agreement_closes_the_review(sample_all, moderator):
    item = _decided(moderator)
    review = QaReview.objects.get()
    second = UserFactory(role="moderator")
    response = signed_in(second).post(
        f"/dashboard/qa/{review.pk}/", {"decision": "confirm", "reason_code": "matches_bank"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.second_by, review.second_state) == (QaState.AGREED, second, "confirmed")
    event = AuditEvent.objects.get(action=QA_SECOND)
    assert (event.actor_user, event.after["state"]) == (second, "agreed")
    item.refresh_from_db()
    assert item.state == "confirmed"


def test_senior_settles_a_disagreement_and_partners_get_the_new_outcome(sample_all, moderator, senior):
    partner = PartnerFactory()
    item = _decided(moderator, partner=partner)
    review = QaReview.objects.get()
    qa_second_decide(
        moderator=UserFactory(role="moderator"), qa_id=review.pk, decision="dismiss", reason_code="different_image"
    )
    review.refresh_from_db()
    assert review.state == QaState.DISPUTED
    page = signed_in(senior).get(f"/dashboard/qa/{review.pk}/").content.decode()
    assert "Confirmed" in page and "Dismissed" in page  # the senior sees both decisions
    qa_resolve(moderator=senior, qa_id=review.pk, decision="dismiss", reason_code="different_image", note="settled")
    item.refresh_from_db()
    assert (item.state, item.decided_by, item.decision_code) == ("dismissed", senior, "different_image")
    assert set(MatchReport.objects.filter(membership__item=item).values_list("outcome", flat=True)) == {"dismissed"}
    assert HashFeedback.objects.get(bank_hash_id=item.bank_hash_id, partner=None).value == "NotBlocked"
    overturn = AuditEvent.objects.get(action=ITEM_QA_OVERTURN)
    assert (overturn.before["state"], overturn.after["state"], overturn.after["qa"]) == (
        "confirmed",
        "dismissed",
        review.pk,
    )
    assert AuditEvent.objects.get(action=QA_RESOLVED).after["item_changed"] is True


def test_senior_who_keeps_the_first_decision_changes_nothing(sample_all, moderator, senior):
    item = _decided(moderator)
    review = QaReview.objects.get()
    qa_second_decide(
        moderator=UserFactory(role="moderator"), qa_id=review.pk, decision="dismiss", reason_code="different_image"
    )
    qa_resolve(moderator=senior, qa_id=review.pk, decision="confirm", reason_code="matches_bank")
    item.refresh_from_db()
    assert item.state == "confirmed" and item.decided_by == moderator
    assert not AuditEvent.objects.filter(action=ITEM_QA_OVERTURN).exists()


def test_only_a_senior_other_than_the_second_reviewer_settles(sample_all, moderator):
    _decided(moderator)
    review = QaReview.objects.get()
    second_senior = UserFactory(role="senior_moderator")
    qa_second_decide(moderator=second_senior, qa_id=review.pk, decision="dismiss", reason_code="different_image")
    with pytest.raises(NotPermitted):
        qa_resolve(
            moderator=UserFactory(role="moderator"), qa_id=review.pk, decision="dismiss", reason_code="different_image"
        )
    with pytest.raises(NotPermitted):
        qa_resolve(moderator=second_senior, qa_id=review.pk, decision="dismiss", reason_code="different_image")
    assert signed_in(UserFactory(role="moderator")).get(f"/dashboard/qa/{review.pk}/").status_code == 404


def test_agreement_figures_overall_per_reason_and_per_moderator(sample_all, moderator, senior):
    other = UserFactory(role="moderator", username="second-mod")
    for decision, second in (("confirm", "confirm"), ("confirm", "dismiss"), ("dismiss", "dismiss")):
        code = "matches_bank" if decision == "confirm" else "not_intimate"
        _decided(moderator, decision=decision, code=code)
        review = QaReview.objects.latest("pk")
        qa_second_decide(moderator=other, qa_id=review.pk, decision=second, reason_code="different_image")
    figures = qa_agreement(per_moderator=True)
    overall = figures["overall"][0]
    assert (overall.reviewed, overall.agreed) == (3, 2)
    assert {(a.label, a.reviewed, a.agreed) for a in figures["by_reason"]} == {
        ("Same image as the banked hash", 2, 1),
        ("Not intimate imagery", 1, 1),
    }
    assert [(a.label, a.reviewed, a.agreed) for a in figures["by_moderator"]] == [(moderator.username, 3, 2)]
    page = signed_in(senior).get("/dashboard/metrics/").content.decode()
    assert "Second-review agreement" in page and f"Moderator: {moderator.username}" in page
    assert "67 %" in page


def test_per_moderator_agreement_is_for_seniors_and_admins(sample_all, moderator):
    assert "by_moderator" not in qa_agreement(per_moderator=False)
    admin_page = signed_in(UserFactory(role="admin")).get("/dashboard/metrics/").content.decode()
    assert "Moderator:" in admin_page or "Second-review agreement" in admin_page


def test_the_queue_page_makes_the_same_queries_for_more_reviews(sample_all, moderator, senior):
    client = signed_in(senior)

    def disputed_review() -> None:
        _decided(moderator)
        review = QaReview.objects.latest("pk")
        qa_second_decide(
            moderator=UserFactory(role="moderator"), qa_id=review.pk, decision="dismiss", reason_code="different_image"
        )
        _decided(moderator)  # and one waiting

    disputed_review()
    few = query_count(lambda: client.get("/dashboard/qa/"))
    for _ in range(4):
        disputed_review()
    assert query_count(lambda: client.get("/dashboard/qa/")) == few


def test_per_reason_rates_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("NCII_QA_SAMPLE_RATE_BY_REASON", " not_intimate=1, other=0.25 ")
    assert env_rates("NCII_QA_SAMPLE_RATE_BY_REASON") == {"not_intimate": 1.0, "other": 0.25}
    monkeypatch.setenv("NCII_QA_SAMPLE_RATE_BY_REASON", "")
    assert env_rates("NCII_QA_SAMPLE_RATE_BY_REASON") == {}
    monkeypatch.setenv("NCII_QA_SAMPLE_RATE_BY_REASON", "other=2")
    with pytest.raises(ValueError, match="between 0 and 1"):
        env_rates("NCII_QA_SAMPLE_RATE_BY_REASON")


def test_a_possible_second_reviewer_is_sent_from_the_item_page_to_the_blind_one(sample_all, moderator, senior):
    item = _decided(moderator)
    review = QaReview.objects.get()
    other = signed_in(UserFactory(role="moderator"))
    response = other.get(f"/dashboard/items/{item.pk}/")
    assert response.status_code == 302 and response.url == f"/dashboard/qa/{review.pk}/"
    assert signed_in(moderator).get(f"/dashboard/items/{item.pk}/").status_code == 200  # the first decider
    assert signed_in(senior).get(f"/dashboard/items/{item.pk}/").status_code == 200
    qa_second_decide(
        moderator=UserFactory(role="moderator"), qa_id=review.pk, decision="confirm", reason_code="matches_bank"
    )
    assert other.get(f"/dashboard/items/{item.pk}/").status_code == 200  # reviewed: nothing left to hide
