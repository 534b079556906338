"""Review images at three levels, made on the server: blurred greyscale by default, sharp
greyscale, colour. Every reveal is an audit event, within the daily cap of the role."""

import io

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from matching.crypto import image_encrypt
from matching.images import review_view
from matching.models import ReviewImage
from moderation.audit_events import IMAGE_REVEALED
from moderation.wellbeing_selectors import daily_reveal_cap, reveals_left_today
from moderation.wellbeing_services import RevealCapReached, image_reveal
from ncii_site.roles import user_role_assign
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db


def with_image(partner=None):  # type: ignore[no-untyped-def]
    item = item_open(partner or PartnerFactory())
    report = item.memberships.get().report
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(encode(photo_like(1, (512, 384)))), width=512, height=384
    )
    return item, report


def image_url(item, report) -> str:  # type: ignore[no-untyped-def]
    return reverse("moderation:report-image", args=[item.pk, report.pk])


def decoded(response) -> Image.Image:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store, private"
    return Image.open(io.BytesIO(response.content))


def sharpness(image: Image.Image) -> float:
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    return float(np.abs(np.diff(pixels, axis=1)).mean())


def distance_from_original(image: Image.Image) -> float:
    """Mean grey-level difference from the stored picture: how much detail was withheld."""
    original = np.asarray(photo_like(1, (512, 384)).convert("L"), dtype=np.float32)
    return float(np.abs(np.asarray(image.convert("L"), dtype=np.float32) - original).mean())


def reveals() -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return list(AuditEvent.objects.filter(action=IMAGE_REVEALED).values_list("object_id", "after"))


def test_three_levels_nothing_sharper_than_asked(moderator):
    item, report = with_image()
    client, url = signed_in(moderator), image_url(item, report)
    blurred = decoded(client.get(url))
    assert blurred.mode == "L" and reveals() == []
    grey = decoded(client.get(url, {"view": "grey"}))
    assert grey.mode == "L" and distance_from_original(grey) < distance_from_original(blurred) / 4
    colour = decoded(client.get(url, {"view": "colour"}))
    assert colour.mode == "RGB"
    assert reveals() == [
        (str(report.pk), {"item": item.pk, "level": "grey"}),
        (str(report.pk), {"item": item.pk, "level": "colour"}),
    ]
    assert AuditEvent.objects.filter(action=IMAGE_REVEALED).first().actor_user == moderator


def test_an_unknown_level_is_the_blurred_one_and_reveal_1_is_colour(moderator):
    item, report = with_image()
    client, url = signed_in(moderator), image_url(item, report)
    assert decoded(client.get(url, {"view": "raw"})).mode == "L"
    assert reveals() == []
    assert decoded(client.get(url, {"reveal": "1"})).mode == "RGB"
    assert [after["level"] for _, after in reveals()] == ["colour"]


def test_the_level_function_is_pure():
    jpeg = encode(photo_like(2, (256, 192)))
    assert review_view(jpeg, level="colour", radius=14) == jpeg
    a = Image.open(io.BytesIO(review_view(jpeg, level="blurred", radius=4)))
    b = Image.open(io.BytesIO(review_view(jpeg, level="blurred", radius=20)))
    assert sharpness(a) > sharpness(b)


def test_the_daily_cap_answers_429_with_no_image_and_no_event(moderator, settings):
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 2}
    item, report = with_image()
    client, url = signed_in(moderator), image_url(item, report)
    decoded(client.get(url, {"view": "grey"}))
    decoded(client.get(url, {"view": "colour"}))
    assert reveals_left_today(moderator) == 0
    refused = client.get(url, {"view": "grey"})
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html") and int(refused["Retry-After"]) > 0
    assert "daily limit" in refused.content.decode()
    assert len(reveals()) == 2
    assert decoded(client.get(url)).mode == "L"  # the blurred preview is still there


def test_roles_without_a_cap_are_unlimited(settings):
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 1, "senior_moderator": None}
    both = UserFactory(role="moderator")
    user_role_assign(user=both, role="senior_moderator")
    assert daily_reveal_cap(UserFactory(role="moderator")) == 1
    assert daily_reveal_cap(UserFactory(role="senior_moderator")) is None
    assert daily_reveal_cap(both) is None
    assert daily_reveal_cap(UserFactory(role="caseworker")) is None


def test_the_most_generous_cap_of_several_roles(settings):
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 3, "senior_moderator": 10}
    both = UserFactory(role="moderator")
    user_role_assign(user=both, role="senior_moderator")
    assert daily_reveal_cap(both) == 10


def test_the_reveal_service_checks_its_level_and_cap(moderator, settings):
    item, report = with_image()
    with pytest.raises(ValueError):
        image_reveal(moderator=moderator, item_id=item.pk, report_id=report.pk, level="blurred")
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 0}
    with pytest.raises(RevealCapReached):
        image_reveal(moderator=moderator, item_id=item.pk, report_id=report.pk, level="grey")
    assert reveals() == []


def test_a_foreign_image_is_404_at_every_level_and_records_nothing(db):
    ours, theirs = PartnerFactory(), PartnerFactory()
    item, report = with_image(theirs)
    client = signed_in(UserFactory(role="moderator", partner=ours))
    for view in ("blurred", "grey", "colour"):
        assert client.get(image_url(item, report), {"view": view}).status_code == 404
    assert reveals() == []


def test_the_item_page_offers_click_to_reveal_with_links_beside(moderator):
    item, report = with_image()
    page = signed_in(moderator).get(reverse("moderation:item", args=[item.pk])).content.decode()
    url = image_url(item, report)
    assert f'data-grey-src="{url}?view=grey"' in page and f'data-colour-src="{url}?view=colour"' in page
    assert f'<img class="review-thumb" src="{url}"' in page
    assert f'href="{url}?view=grey"' in page
    assert '<script type="module" src="/static/js/reveal.js" nonce=' in page
