"""The lease on an item: extended while the moderator works it, released when they leave;
nobody extends or releases another moderator's claim."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from moderation.audit_events import ITEM_CLAIM_EXTENDED, ITEM_CLAIM_RELEASED
from moderation.models import ReviewItem
from moderation.services import (
    ClaimNotHeld,
    ItemNotFound,
    review_claim_extend,
    review_claim_next,
    review_claim_release,
)
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import HTMX, signed_in

pytestmark = pytest.mark.django_db


def extend_url(item: ReviewItem) -> str:
    return reverse("moderation:claim-extend", args=[item.pk])


def release_url(item: ReviewItem) -> str:
    return reverse("moderation:claim-release", args=[item.pk])


@pytest.fixture
def held(moderator) -> ReviewItem:
    item = item_open(PartnerFactory())
    assert review_claim_next(moderator=moderator).pk == item.pk
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now() + timedelta(seconds=30))
    item.refresh_from_db()
    return item


def test_extending_renews_the_lease_and_is_audited(moderator, held, settings):
    settings.NCII_CLAIM_SECONDS = 600
    item = review_claim_extend(moderator=moderator, item_id=held.pk)
    assert item.claim_expires_at > timezone.now() + timedelta(seconds=590)
    event = AuditEvent.objects.get(action=ITEM_CLAIM_EXTENDED)
    assert (event.actor_user, event.object_id) == (moderator, str(held.pk))
    assert event.after == {"until": item.claim_expires_at.isoformat()}


def test_a_lapsed_claim_nobody_took_can_still_be_extended(moderator, held):
    ReviewItem.objects.filter(pk=held.pk).update(claim_expires_at=timezone.now() - timedelta(seconds=5))
    assert review_claim_extend(moderator=moderator, item_id=held.pk).claim_expires_at > timezone.now()


def test_releasing_hands_the_item_back_and_is_audited(moderator, held):
    review_claim_release(moderator=moderator, item_id=held.pk)
    held.refresh_from_db()
    assert (held.claimed_by, held.claim_expires_at) == (None, None)
    event = AuditEvent.objects.get(action=ITEM_CLAIM_RELEASED)
    assert (event.actor_user, event.before) == (moderator, {"claimed_by": moderator.pk})
    other = UserFactory(role="moderator")
    assert review_claim_next(moderator=other).pk == held.pk


@pytest.mark.parametrize("service", [review_claim_extend, review_claim_release])
def test_another_moderators_claim_is_refused_and_nothing_changes(held, service):
    other = UserFactory(role="moderator")
    before = AuditEvent.objects.count()
    with pytest.raises(ClaimNotHeld):
        service(moderator=other, item_id=held.pk)
    assert AuditEvent.objects.count() == before
    assert ReviewItem.objects.get(pk=held.pk).claim_expires_at == held.claim_expires_at


@pytest.mark.parametrize("service", [review_claim_extend, review_claim_release])
def test_an_unclaimed_item_is_refused(moderator, service):
    item = item_open(PartnerFactory())
    with pytest.raises(ClaimNotHeld):
        service(moderator=moderator, item_id=item.pk)


def test_a_foreign_item_is_not_found_for_a_partner_moderator(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    foreign = item_open(theirs)
    with pytest.raises(ItemNotFound):
        review_claim_extend(moderator=UserFactory(role="moderator", partner=ours), item_id=foreign.pk)


# --- the endpoints ------------------------------------------------------------------------


def test_the_item_page_shows_the_countdown_and_both_actions(moderator, held):
    page = signed_in(moderator).get(reverse("moderation:item", args=[held.pk])).content.decode()
    assert f'data-expires-at="{held.claim_expires_at.isoformat()}"' in page
    assert f'action="{extend_url(held)}"' in page and f'hx-post="{extend_url(held)}"' in page
    assert f'action="{release_url(held)}"' in page


def test_htmx_extend_answers_the_claim_fragment(moderator, held):
    response = signed_in(moderator).post(extend_url(held), **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="claim">') and "<html" not in body
    held.refresh_from_db()
    assert f'data-expires-at="{held.claim_expires_at.isoformat()}"' in body


def test_extend_without_htmx_redirects_to_the_item(moderator, held):
    response = signed_in(moderator).post(extend_url(held), follow=True)
    assert response.redirect_chain == [(reverse("moderation:item", args=[held.pk]), 302)]
    assert "Claim extended" in response.content.decode()


def test_extending_someone_elses_claim_is_409_in_the_fragment(held):
    client = signed_in(UserFactory(role="moderator"))
    response = client.post(extend_url(held), **HTMX)
    assert response.status_code == 409
    assert "You do not hold this item" in response.content.decode()
    assert not AuditEvent.objects.filter(action=ITEM_CLAIM_EXTENDED).exists()


def test_the_leaving_beacon_releases_with_the_forms_csrf_token(moderator, held):
    client = signed_in(moderator)
    client.handler.enforce_csrf_checks = True
    page = client.get(reverse("moderation:item", args=[held.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(release_url(held), {"beacon": "1"}).status_code == 403  # no token, nothing done
    assert ReviewItem.objects.get(pk=held.pk).claimed_by == moderator
    response = client.post(release_url(held), {"beacon": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 204
    assert ReviewItem.objects.get(pk=held.pk).claimed_by is None
    assert client.post(release_url(held), {"beacon": "1", "csrfmiddlewaretoken": token}).status_code == 409
    assert AuditEvent.objects.filter(action=ITEM_CLAIM_RELEASED).count() == 1


def test_the_release_button_returns_to_the_queue(moderator, held):
    response = signed_in(moderator).post(release_url(held), follow=True)
    assert response.redirect_chain == [(reverse("moderation:queue"), 302)]
    assert f"You released item {held.pk}" in response.content.decode()


def test_claim_endpoints_are_post_only_and_need_the_review_permission(held):
    moderator_client = signed_in(UserFactory(role="moderator"))
    assert moderator_client.get(extend_url(held)).status_code == 405
    assert moderator_client.get(release_url(held)).status_code == 405
    caseworker = signed_in(UserFactory(role="caseworker"))
    assert caseworker.post(extend_url(held)).status_code == 403
    assert caseworker.post(release_url(held), {"beacon": "1"}).status_code == 403


def test_a_partner_moderator_gets_404_for_a_foreign_items_claim(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    foreign = item_open(theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    assert client.post(extend_url(foreign), **HTMX).status_code == 404
    assert client.post(release_url(foreign), {"beacon": "1"}).status_code == 404
