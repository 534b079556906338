"""Ids posted to staff pages that are not ids (digits int() refuses, or past 64 bits) are
refused like any unknown id: never a server error, nothing changed."""

import pytest

from audit.models import AuditEvent
from moderation.models import ReviewItem
from tests.factories import PartnerFactory, item_open
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
NOT_IDS = ["²", "99999999999999999999999", "0", "-3", "1.5", ""]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_review_next_ignores_a_skip_that_is_not_an_id(moderator, raw):
    item = item_open(PartnerFactory())
    response = signed_in(moderator).post("/dashboard/next/", {"state": "pending", "skip": raw})
    assert response.status_code == 302 and response.url.endswith(f"/dashboard/items/{item.pk}/")


@pytest.mark.parametrize("raw", NOT_IDS)
def test_retrying_a_report_that_is_not_an_id_says_so(moderator, raw):
    before = AuditEvent.objects.count()
    response = signed_in(moderator).post("/dashboard/failed/", {"report": raw}, follow=True)
    assert response.status_code == 200 and "not waiting for a retry" in response.content.decode()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("raw", ["²", "99999999999999999999999", "0"])
def test_a_bulk_selection_that_is_not_an_id_is_refused(moderator, raw):
    item_open(PartnerFactory())
    response = signed_in(moderator).get("/dashboard/bulk/", {"item": raw})
    assert response.status_code == 400 and "selection is not valid" in response.content.decode()
    assert ReviewItem.objects.filter(state="pending").count() == 1
