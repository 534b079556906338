"""Moderators' own settings for review images, within the admins' limits; blur off only
where an admin allowed it; the blur and re-blur they chose are what they get."""

import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image

from audit.models import AuditEvent
from audit.services import Actor
from matching.crypto import image_encrypt
from matching.models import ReviewImage
from moderation.audit_events import (
    IMAGE_REVEALED,
    WELLBEING_BLUR_OFF_ALLOWED,
    WELLBEING_BLUR_OFF_WITHDRAWN,
    WELLBEING_SETTINGS_CHANGED,
)
from moderation.models import ModeratorSettings
from moderation.wellbeing_selectors import wellbeing_get
from moderation.wellbeing_services import SettingsInvalid, moderator_blur_off_allow, moderator_settings_update
from tests.factories import PartnerFactory, item_open
from tests.images import encode, photo_like
from tests.staff_helpers import signed_in

pytestmark = pytest.mark.django_db
PAGE = reverse("moderation:wellbeing")
CHOICE = {"blur_radius": 20, "reblur_seconds": 3, "break_after_reveals": 10, "break_after_minutes": 30}


def test_defaults_until_the_moderator_chooses(moderator, settings):
    settings.NCII_WELLBEING_LIMITS = settings.NCII_WELLBEING_LIMITS | {"reblur_seconds": (2, 6, 9)}
    current = wellbeing_get(moderator)
    assert (current.blur_radius, current.reblur_seconds, current.blur_off) == (14, 6, False)
    assert not ModeratorSettings.objects.exists()


def test_a_choice_is_kept_and_audited(moderator):
    moderator_settings_update(moderator=moderator, **CHOICE)
    current = wellbeing_get(moderator)
    assert (current.blur_radius, current.reblur_seconds, current.break_after_reveals) == (20, 3, 10)
    event = AuditEvent.objects.get(action=WELLBEING_SETTINGS_CHANGED)
    assert (event.actor_user, event.object_id) == (moderator, str(moderator.pk))
    assert event.before["blur_radius"] == 14 and event.after == CHOICE | {"blur_off": False}


@pytest.mark.parametrize(("name", "value"), [("blur_radius", 2), ("reblur_seconds", 60), ("break_after_minutes", 0)])
def test_a_choice_outside_the_limits_is_refused(moderator, name, value):
    with pytest.raises(SettingsInvalid, match="Choose between") as refused:
        moderator_settings_update(moderator=moderator, **CHOICE | {name: value})
    assert refused.value.field == name
    assert not AuditEvent.objects.filter(action=WELLBEING_SETTINGS_CHANGED).exists()


def test_narrowed_limits_apply_to_earlier_choices(moderator, settings):
    moderator_settings_update(moderator=moderator, **CHOICE)
    settings.NCII_WELLBEING_LIMITS = settings.NCII_WELLBEING_LIMITS | {"blur_radius": (10, 12, 16)}
    assert wellbeing_get(moderator).blur_radius == 16


def test_blur_off_needs_an_admin(moderator):
    with pytest.raises(SettingsInvalid, match="Only an admin"):
        moderator_settings_update(moderator=moderator, **CHOICE, blur_off=True)
    moderator_blur_off_allow(actor=Actor.system("test"), user=moderator, allowed=True)
    moderator_settings_update(moderator=moderator, **CHOICE, blur_off=True)
    assert wellbeing_get(moderator).blur_off
    moderator_blur_off_allow(actor=Actor.system("test"), user=moderator, allowed=False)
    assert not wellbeing_get(moderator).blur_off  # withdrawing turns the blur back on
    actions = list(AuditEvent.objects.filter(action__startswith="wellbeing.blur_off").values_list("action", flat=True))
    assert actions == [WELLBEING_BLUR_OFF_ALLOWED, WELLBEING_BLUR_OFF_WITHDRAWN]


def test_the_database_refuses_blur_off_without_the_allowance(moderator):
    moderator_settings_update(moderator=moderator, **CHOICE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ModeratorSettings.objects.filter(user=moderator).update(blur_off=True)


def test_the_admin_command(moderator):
    out = StringIO()
    call_command("moderator_blur_off", "mod", "--allow", stdout=out)
    assert "may now turn the blur off" in out.getvalue()
    assert wellbeing_get(moderator).blur_off_allowed
    assert AuditEvent.objects.get(action=WELLBEING_BLUR_OFF_ALLOWED).actor_label == "manage.py moderator_blur_off"


# --- the page -----------------------------------------------------------------------------


def test_the_page_shows_the_limits_and_saves(moderator):
    client = signed_in(moderator)
    page = client.get(PAGE).content.decode()
    assert 'name="blur_radius" value="14" min="8" max="30"' in page
    assert 'name="blur_off"' not in page and "an admin can allow it" in page
    response = client.post(PAGE, CHOICE, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Your settings are saved" in response.content.decode()
    assert wellbeing_get(moderator).reblur_seconds == 3


def test_the_page_refuses_values_outside_the_limits(moderator):
    response = signed_in(moderator).post(PAGE, CHOICE | {"reblur_seconds": 99})
    assert response.status_code == 400
    assert "less than or equal to 20" in response.content.decode()
    assert not ModeratorSettings.objects.exists()


def test_the_page_offers_blur_off_once_allowed(moderator):
    moderator_blur_off_allow(actor=Actor.system("test"), user=moderator, allowed=True)
    client = signed_in(moderator)
    assert 'name="blur_off"' in client.get(PAGE).content.decode()
    client.post(PAGE, CHOICE | {"blur_off": "on"})
    assert wellbeing_get(moderator).blur_off


def test_the_page_is_for_reviewers(caseworker):
    assert signed_in(caseworker).get(PAGE).status_code == 403


# --- what the moderator then gets ---------------------------------------------------------


def with_image():  # type: ignore[no-untyped-def]
    item = item_open(PartnerFactory())
    report = item.memberships.get().report
    ReviewImage.objects.create(
        report=report, ciphertext=image_encrypt(encode(photo_like(1, (512, 384)))), width=512, height=384
    )
    return item, reverse("moderation:report-image", args=[item.pk, report.pk])


def test_the_chosen_blur_and_reblur_are_used(moderator):
    item, url = with_image()
    client = signed_in(moderator)
    default = client.get(url).content
    moderator_settings_update(moderator=moderator, **CHOICE)
    assert client.get(url).content != default
    page = client.get(reverse("moderation:item", args=[item.pk])).content.decode()
    assert 'data-reblur-seconds="3"' in page


def test_with_blur_off_the_preview_is_sharp_grey_and_counts_as_a_reveal(moderator, settings):
    moderator_blur_off_allow(actor=Actor.system("test"), user=moderator, allowed=True)
    moderator_settings_update(moderator=moderator, **CHOICE, blur_off=True)
    item, url = with_image()
    client = signed_in(moderator)
    assert Image.open(io.BytesIO(client.get(url).content)).mode == "L"
    event = AuditEvent.objects.get(action=IMAGE_REVEALED)
    assert event.after == {"item": item.pk, "level": "grey", "default": True}
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 1}
    fallback = client.get(url)  # no reveals left: the blurred preview, not a 429
    assert fallback.status_code == 200 and AuditEvent.objects.filter(action=IMAGE_REVEALED).count() == 1
    assert client.get(url, {"view": "grey"}).status_code == 429
