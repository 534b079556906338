"""Reason codes, notes and who may read them: on the item, in the audit event, and on the
partner's copy of its report."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from matching.models import MatchReport
from moderation.audit_events import ITEM_CONFIRM, ITEM_DISMISS
from moderation.models import ReviewItem
from moderation.services import ReasonRequired, review_decide
from tests.api_helpers import MATCHES, bearer
from tests.factories import PartnerFactory, UserFactory, item_open, partner_with_keys
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int]:
    return AuditEvent.objects.count(), ReviewItem.objects.exclude(decided_by=None).count()


@pytest.mark.parametrize(
    ("code", "note", "visibility", "message"),
    [
        ("", "a note is not a reason", "internal", "Choose a reason code"),
        ("because", "", "internal", "Choose a reason code"),
        ("other", "  ", "internal", "needs a note"),
        ("matches_bank", "x" * 4001, "internal", "4000 characters"),
        ("matches_bank", "", "everyone", "who may read"),
    ],
)
def test_an_incomplete_reason_is_refused_and_writes_nothing(moderator, code, note, visibility, message):
    item = item_open(PartnerFactory())
    before = counts()
    with pytest.raises(ReasonRequired, match=message):
        review_decide(
            moderator=moderator,
            item_id=item.pk,
            decision="confirm",
            reason_code=code,
            note=note,
            note_visibility=visibility,
        )
    assert counts() == before


def test_the_code_note_and_visibility_are_kept_and_audited(moderator):
    item = item_open(PartnerFactory())
    review_decide(
        moderator=moderator,
        item_id=item.pk,
        decision="dismiss",
        reason_code="different_image",
        note="  another person in the photo  ",
    )
    item.refresh_from_db()
    assert (item.decision_code, item.decision_note, item.note_visibility) == (
        "different_image",
        "another person in the photo",
        "internal",
    )
    event = AuditEvent.objects.get(action=ITEM_DISMISS)
    assert event.actor_user == moderator and event.reason == "another person in the photo"
    assert event.after == {"state": "dismissed", "version": 2, "code": "different_image", "note_visibility": "internal"}


def test_a_note_is_optional_except_for_other(moderator):
    item = item_open(PartnerFactory())
    review_decide(moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank")
    assert AuditEvent.objects.get(action=ITEM_CONFIRM).reason == ""


def match_read(keys, report: MatchReport) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return Client().get(f"{MATCHES}/{report.pk}", **bearer(keys.api_key)).json()


def test_only_a_shared_note_reaches_the_partner(moderator):
    partner, keys = partner_with_keys("photoshare")
    item = item_open(partner)
    report = item.memberships.get().report
    review_decide(
        moderator=moderator,
        item_id=item.pk,
        decision="escalate",
        reason_code="needs_senior",
        note="internal: the face is unclear",
    )
    assert "decisionNote" not in match_read(keys, report)
    senior = UserFactory(role="senior_moderator")
    review_decide(
        moderator=senior,
        item_id=item.pk,
        decision="confirm",
        reason_code="matches_bank",
        note="Confirmed: please keep it blocked.",
        note_visibility="partner",
    )
    body = match_read(keys, report)
    assert (body["outcome"], body["decisionNote"]) == ("confirmed", "Confirmed: please keep it blocked.")
    event = AuditEvent.objects.get(action=ITEM_CONFIRM)
    assert event.after["note_visibility"] == "partner"
    review_decide(moderator=senior, item_id=item.pk, decision="reopen", reason_code="new_information")
    assert "decisionNote" not in match_read(keys, report)  # a new decision without a shared note clears it


def test_a_partner_moderators_shared_note_reaches_only_their_partner(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    item = item_open(ours, theirs)
    scoped = UserFactory(role="moderator", partner=ours)
    review_decide(
        moderator=scoped,
        item_id=item.pk,
        decision="confirm",
        reason_code="matches_bank",
        note="Removed from our platform.",
        note_visibility="partner",
    )
    notes = dict(MatchReport.objects.values_list("partner_id", "decision_note"))
    assert notes == {ours.pk: "Removed from our platform.", theirs.pk: ""}
    assert set(MatchReport.objects.values_list("outcome", flat=True)) == {"confirmed"}


def test_the_item_page_offers_the_configured_reasons_and_shows_the_standing_one(moderator, settings):
    settings.NCII_REASON_CODES = [("same", "Same picture"), ("other", "Other")]
    item = item_open(PartnerFactory())
    client = signed_in(moderator)
    url = reverse("moderation:item", args=[item.pk])
    page = client.get(url).content.decode()
    assert '<option value="same">1 · Same picture</option>' in page
    assert "matches_bank" not in page
    data = {
        "decision": "dismiss",
        "reason_code": "same",
        "note": "shared words",
        "note_visibility": "partner",
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    page = client.get(url).content.decode()
    assert "Same picture" in page and "shared words" in page and "Shared with the reporting partners" in page


def test_a_refused_decision_keeps_the_chosen_reason_and_note(moderator):
    item = item_open(PartnerFactory())
    client = signed_in(moderator)
    data = {"decision": "confirm", "reason_code": "other", "note": "", "note_visibility": "partner", "version": 1}
    response = client.post(reverse("moderation:item", args=[item.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert '<option value="other" selected>' in page
    assert 'value="partner" id="id_note_visibility_1" checked' in page


def test_the_schema_documents_the_optional_decision_note(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    output = schema["components"]["schemas"]["MatchOutput"]
    assert "decisionNote" in output["properties"] and "decisionNote" not in output["required"]
