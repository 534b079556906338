"""A video report's keyframes in Chromium: a strip of blurred images, each revealed on its own
(revealing one blurs the others), each reveal a request the server records for that keyframe."""

import json

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from matching.crypto import image_encrypt
from matching.models import MatchReport, ReviewImage
from moderation.audit_events import IMAGE_REVEALED
from moderation.models import QaReview
from moderation.services import review_decide
from moderation.wellbeing_services import moderator_settings_update
from tests.browser.helpers import keys_on, sign_in, wait_for
from tests.factories import PartnerFactory, UserFactory, item_open, video_frames
from tests.images import encode, photo_like

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def item_with_keyframes(count: int):  # type: ignore[no-untyped-def]
    item = item_open(PartnerFactory())
    report = item.memberships.get().report
    MatchReport.objects.filter(pk=report.pk).update(signal_type="VideoPDQ", video=json.dumps(video_frames(3)))
    for position in range(count):
        picture = encode(photo_like(position + 1, (512, 384)))
        ReviewImage.objects.create(
            report=report, position=position, ciphertext=image_encrypt(picture), width=512, height=384,
            pdq="0" * 64, claim_distance=4 if position else 40,
        )  # fmt: skip
    return item


def revealed() -> list[tuple[str, int]]:
    events = AuditEvent.objects.filter(action=IMAGE_REVEALED).order_by("seq").values_list("after", flat=True)
    return [(after["level"], after.get("keyframe", 0)) for after in events]


def test_the_strip_reveals_one_keyframe_at_a_time(page, live_server, artifact):
    item = item_with_keyframes(3)
    maria = UserFactory(username="maria", role="moderator")
    moderator_settings_update(  # the longest re-blur time: the steps below must not race its timer
        moderator=maria, blur_radius=20, reblur_seconds=20, break_after_reveals=25, break_after_minutes=60
    )
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    strip = page.locator(".keyframe-strip")
    strip.evaluate("strip => strip.scrollIntoView({block: 'center'})")
    figures = strip.locator("[data-review-image]")
    expect(figures).to_have_count(3)
    expect(strip.locator("li").nth(0)).to_contain_text("no claimed frame near (40)")
    expect(strip.locator("li").nth(1)).to_contain_text("claimed frame 4 bits away")
    for n in range(3):
        expect(figures.nth(n)).to_have_attribute("data-level", "blurred")
    assert revealed() == []

    figures.nth(1).get_by_role("button", name="reveal in greyscale").click()
    expect(figures.nth(1)).to_have_attribute("data-level", "grey")
    wait_for(lambda: revealed() == [("grey", 1)])
    page.screenshot(path=artifact("keyframe-strip-one-revealed.png"))
    figures.nth(2).get_by_role("button", name="reveal in greyscale").click()
    expect(figures.nth(2)).to_have_attribute("data-level", "grey")
    expect(figures.nth(1)).to_have_attribute("data-level", "blurred")  # one at a time
    expect(figures.nth(0)).to_have_attribute("data-level", "blurred")
    wait_for(lambda: revealed() == [("grey", 1), ("grey", 2)])  # each keyframe's reveal counted on its own
    expect(page.locator("[data-reveal-count]")).to_have_text("2")


def test_r_reveals_the_focused_keyframe_and_tab_walks_the_strip(page, live_server, settings):
    settings.NCII_QA_SAMPLE_RATE = 1.0
    item = item_with_keyframes(3)
    review_decide(
        moderator=UserFactory(role="moderator"), item_id=item.pk, decision="confirm", reason_code="matches_bank"
    )
    maria = UserFactory(username="maria", role="moderator")
    moderator_settings_update(  # the longest re-blur time: the steps below must not race its timer
        moderator=maria, blur_radius=20, reblur_seconds=20, break_after_reveals=25, break_after_minutes=60
    )
    sign_in(page, live_server, "maria")
    page.goto(f"{live_server.url}/dashboard/qa/{QaReview.objects.get().pk}/")  # the blind page's strip too
    keys_on(page)
    figures = page.locator(".keyframe-strip [data-review-image]")
    figures.nth(0).evaluate("figure => figure.scrollIntoView({block: 'center'})")
    page.mouse.move(5, 5)  # the pointer off the strip: moving it there would be leaving an image

    page.keyboard.press("r")  # nothing focused: the first keyframe
    expect(figures.nth(0)).to_have_attribute("data-level", "grey")
    wait_for(lambda: revealed() == [("grey", 0)])
    figures.nth(2).locator("[data-reveal-toggle]").focus()  # focus leaving the first blurs it
    expect(figures.nth(0)).to_have_attribute("data-level", "blurred")
    page.keyboard.press("r")
    expect(figures.nth(2)).to_have_attribute("data-level", "grey")
    for n in (0, 1):
        expect(figures.nth(n)).to_have_attribute("data-level", "blurred")  # one at a time, never all
    wait_for(lambda: revealed() == [("grey", 0), ("grey", 2)])
    page.keyboard.press("r")  # again: the same keyframe blurs
    expect(figures.nth(2)).to_have_attribute("data-level", "blurred")

    page.keyboard.press("Shift+Tab")  # back along the strip
    page.keyboard.press("r")
    expect(figures.nth(1)).to_have_attribute("data-level", "grey")
    wait_for(lambda: revealed() == [("grey", 0), ("grey", 2), ("grey", 1)])
