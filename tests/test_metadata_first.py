"""Metadata first: the item page says what the reports and the hash's history say, so many
items can be decided without revealing the image."""

import pytest
from django.urls import reverse

from audit.services import Actor
from matching.models import HashFeedback, MatchReport
from matching.services import feedback_record
from moderation.models import ReviewItem
from moderation.services import review_decide
from tests.factories import BankHashFactory, PartnerFactory, UserFactory, item_open
from tests.staff_helpers import query_count, signed_in

pytestmark = pytest.mark.django_db


def page_of(client, item: ReviewItem) -> str:  # type: ignore[no-untyped-def]
    return client.get(reverse("moderation:item", args=[item.pk])).content.decode()


def glance(page: str) -> str:
    start = page.index('id="glance-heading"')
    return page[start : page.index("</section>", start)]


def test_distance_quality_and_claim_check(moderator):
    item = item_open(PartnerFactory(), PartnerFactory())
    first, second = MatchReport.objects.filter(membership__item=item).order_by("pk")
    MatchReport.objects.filter(pk=first.pk).update(distance=12, content_quality=80, claim_distance=4)
    MatchReport.objects.filter(pk=second.pk).update(
        distance=7, content_quality=35, claim_distance=60, hash_mismatch=True
    )
    text = glance(page_of(signed_in(moderator), item))
    assert "7 bits" in text and "80" in text
    assert "1 of 2 claims do not fit the image" in text


def test_without_images_there_is_nothing_to_check(moderator):
    text = glance(page_of(signed_in(moderator), item_open(PartnerFactory())))
    assert "not measured (no image)" in text and "nothing to check" in text


def test_partners_that_confirmed_the_hash(moderator):
    item = item_open(PartnerFactory())
    for partner, value in [
        (PartnerFactory(), "Blocked"),
        (PartnerFactory(), "Blocked"),
        (PartnerFactory(), "NotBlocked"),
        (None, "Blocked"),
    ]:
        feedback_record(
            bank_hash_id=item.bank_hash_id, partner=partner, value=value, tags=[], actor=Actor.system("test")
        )
    assert "2 partners blocked this hash" in glance(page_of(signed_in(moderator), item))


def test_prior_decisions_on_the_same_hash(moderator, senior):
    bank_hash, partner = BankHashFactory(), PartnerFactory()
    earlier = item_open(partner, bank_hash=bank_hash)
    review_decide(moderator=senior, item_id=earlier.pk, decision="dismiss", reason_code="different_image")
    current = item_open(partner, bank_hash=bank_hash)
    assert current.pk != earlier.pk
    text = glance(page_of(signed_in(moderator), current))
    assert f'href="{reverse("moderation:item", args=[earlier.pk])}">#{earlier.pk}</a>' in text
    assert "Dismissed" in text and "(A different image)" in text and "senior" in text
    assert "none on this hash" in glance(page_of(signed_in(moderator), earlier))


def test_a_partner_moderator_sees_prior_decisions_only_on_items_they_may_see(senior):
    ours, theirs, bank_hash = PartnerFactory(), PartnerFactory(), BankHashFactory()
    foreign = item_open(theirs, bank_hash=bank_hash)
    review_decide(moderator=senior, item_id=foreign.pk, decision="confirm", reason_code="matches_bank")
    own = item_open(ours, bank_hash=bank_hash)
    scoped = signed_in(UserFactory(role="moderator", partner=ours))
    assert "none on this hash" in glance(page_of(scoped, own))


def test_item_page_queries_do_not_grow_with_prior_decisions(moderator, senior):
    bank_hash, partner = BankHashFactory(), PartnerFactory()
    current = item_open(PartnerFactory(), bank_hash=bank_hash)
    ReviewItem.objects.filter(pk=current.pk).update(content_hash="held-apart")
    client = signed_in(moderator)
    client.get(reverse("moderation:item", args=[current.pk]))

    def one_more_decided() -> None:
        item = item_open(partner, bank_hash=bank_hash)
        review_decide(moderator=senior, item_id=item.pk, decision="confirm", reason_code="matches_bank")
        HashFeedback.objects.all().delete()  # keep "prior feedback" out of the comparison

    def queries() -> int:
        return query_count(lambda: client.get(reverse("moderation:item", args=[current.pk])))

    one_more_decided()
    one = queries()
    for _ in range(4):
        one_more_decided()
    assert queries() == one
