"""The blind second review in Chromium: a second moderator finds the sampled item in the
Second review queue, sees its reports and blurred image but not the first decision, reveals
the image and disagrees; a senior sees both decisions and settles it, and the item changes."""

import re

import pytest
from playwright.sync_api import expect

from matching.crypto import image_encrypt
from matching.models import ReviewImage
from moderation.models import QaReview, QaState
from moderation.services import review_decide
from tests.browser.helpers import sign_in
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.images import encode, photo_like

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_second_review_is_blind_and_a_senior_settles_it(page, live_server, settings, artifact):
    settings.NCII_QA_SAMPLE_RATE = 1.0
    item = item_open(PartnerFactory(display_name="PhotoShare"))
    ReviewImage.objects.create(
        report=item.memberships.get().report,
        ciphertext=image_encrypt(encode(photo_like(3, (256, 192)))),
        width=256,
        height=192,
    )
    first = UserFactory(username="first-decider", role="moderator")
    review_decide(moderator=first, item_id=item.pk, decision="confirm", reason_code="not_intimate", note="hidden")
    review = QaReview.objects.get()
    UserFactory(username="second", role="moderator")
    UserFactory(username="lead", role="senior_moderator")

    sign_in(page, live_server, "second")
    page.get_by_role("link", name="Second review").click()
    page.get_by_role("link", name=f"Review #{review.pk}").click()
    panel = page.locator("main")
    expect(panel).to_contain_text("PhotoShare")
    expect(panel).not_to_contain_text("first-decider")
    expect(panel).not_to_contain_text("hidden")
    expect(panel).not_to_contain_text("Confirmed")
    page.get_by_role("button", name=re.compile("reveal in greyscale")).click()
    expect(page.locator("[data-reveal-state]")).to_have_text(re.compile("greyscale", re.I))
    page.screenshot(path=artifact("qa-blind.png"), full_page=True)
    page.get_by_label(re.compile("Reason")).select_option("different_image")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_contain_text("disputed")

    page.context.clear_cookies()
    sign_in(page, live_server, "lead")
    page.goto(f"{live_server.url}/dashboard/qa/")
    page.get_by_role("link", name=f"Review #{review.pk}").click()
    expect(page.locator("main")).to_contain_text("first-decider")
    expect(page.locator("main")).to_contain_text("Dismissed")
    page.get_by_label(re.compile("Reason")).select_option("different_image")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_contain_text("your decision stands")

    review.refresh_from_db()
    item.refresh_from_db()
    assert (review.state, review.final_state) == (QaState.RESOLVED, "dismissed")
    assert (item.state, item.decided_by.username) == ("dismissed", "lead")
