"""The decision export: senior moderators and admins only, filtered, streamed, audited with
its filters, without internal notes, images or case numbers, and safe to open in a spreadsheet."""

import csv
import io

import pytest
import time_machine
from django.http import StreamingHttpResponse

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.models import BankHash
from moderation.audit_events import DECISIONS_EXPORTED
from moderation.export import csv_cell
from moderation.services import review_decide
from tests.factories import PartnerFactory, UserFactory, item_open, random_pdq
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
URL = "/dashboard/decisions/export/"


def _decide(moderator, partner, decision="confirm", note="", visibility="internal", code="matches_bank"):
    item = item_open(partner)
    review_decide(
        moderator=moderator, item_id=item.pk, decision=decision, reason_code=code, note=note, note_visibility=visibility
    )
    return item


def _rows(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_moderators_cannot_export(moderator):
    assert signed_in(moderator).get(URL, {"download": "1"}).status_code == 403
    assert not AuditEvent.objects.filter(action=DECISIONS_EXPORTED).exists()


@pytest.mark.parametrize("role", ["senior_moderator", "admin"])
def test_seniors_and_admins_export_every_decision(moderator, role):
    partner = PartnerFactory(display_name="PhotoShare")
    item = _decide(moderator, partner)
    response = signed_in(UserFactory(role=role)).get(URL, {"download": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="decisions.csv"'
    (row,) = _rows(response)
    assert (row["item"], row["state"], row["reason_code"], row["moderator"], row["partners"]) == (
        str(item.pk),
        "confirmed",
        "matches_bank",
        moderator.username,
        "PhotoShare",
    )


def test_filters_by_time_partner_state_reason_and_moderator(moderator, senior):
    photo, clip = PartnerFactory(), PartnerFactory()
    other = UserFactory(role="moderator", username="other-mod")
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        old = _decide(moderator, photo)
    with time_machine.travel("2026-06-01 12:00Z", tick=False):
        kept = _decide(moderator, photo, decision="dismiss", code="not_intimate")
        _decide(moderator, clip, decision="dismiss", code="not_intimate")
        _decide(other, photo, decision="dismiss", code="not_intimate")
        _decide(moderator, photo, decision="confirm", code="not_intimate")
        _decide(moderator, photo, decision="dismiss", code="different_image")
    client = signed_in(senior)
    filters = {
        "since": "2026-05-01",
        "until": "2026-06-01",
        "partner": photo.pk,
        "state": "dismissed",
        "reason_code": "not_intimate",
        "moderator": moderator.username,
    }
    rows = _rows(client.get(URL, filters | {"download": "1"}))
    assert [r["item"] for r in rows] == [str(kept.pk)]
    assert [r["item"] for r in _rows(client.get(URL, {"until": "2026-03-01", "download": "1"}))] == [str(old.pk)]
    event = AuditEvent.objects.filter(action=DECISIONS_EXPORTED).first()
    assert event.actor_user == senior
    assert event.after["since"] == "2026-05-01" and event.after["moderator"] == moderator.username
    assert event.after["partner_id"] == photo.pk and event.after["reason_code"] == "not_intimate"


def test_no_internal_note_no_case_number(moderator, senior):
    partner = PartnerFactory()
    value = random_pdq()
    case, _ = case_create(hashes=[HashInput("ImagePDQ", value, 90)], actor=Actor.public())
    item = item_open(partner, bank_hash=BankHash.objects.get(value=value))
    review_decide(
        moderator=moderator, item_id=item.pk, decision="confirm", reason_code="matches_bank", note="internal only"
    )
    _decide(moderator, partner, note="shared with you", visibility="partner")
    body = b"".join(signed_in(senior).get(URL, {"download": "1"}).streaming_content).decode()
    assert "internal only" not in body and "shared with you" in body
    assert case.number not in body and case.reference not in body


@pytest.mark.parametrize("cell", ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_defused(cell):
    assert csv_cell(cell) == "'" + cell
    assert csv_cell("plain") == "plain"


def test_a_shared_note_like_a_formula_reaches_the_csv_defused(moderator, senior):
    _decide(moderator, PartnerFactory(), note="=cmd|' /C calc'!A0", visibility="partner")
    (row,) = _rows(signed_in(senior).get(URL, {"download": "1"}))
    assert row["shared_note"] == "'=cmd|' /C calc'!A0"


def test_the_form_page_and_bad_filters(senior):
    client = signed_in(senior)
    assert client.get(URL).status_code == 200
    bad = client.get(URL, {"since": "not a date", "download": "1"})
    assert bad.status_code == 400 and not isinstance(bad, StreamingHttpResponse)
    assert not AuditEvent.objects.filter(action=DECISIONS_EXPORTED).exists()


def test_streams_in_chunks(settings, moderator, senior):
    settings.NCII_EXPORT_CHUNK = 2
    partner = PartnerFactory()
    items = [_decide(moderator, partner) for _ in range(5)]
    rows = _rows(signed_in(senior).get(URL, {"download": "1"}))
    assert [r["item"] for r in rows] == [str(i.pk) for i in items]


def test_a_partner_scoped_senior_exports_only_their_partners_items(moderator):
    own, foreign = PartnerFactory(), PartnerFactory()
    mine = _decide(moderator, own)
    _decide(moderator, foreign)
    scoped = signed_in(UserFactory(role="senior_moderator", partner=own))
    assert [r["item"] for r in _rows(scoped.get(URL, {"download": "1"}))] == [str(mine.pk)]
