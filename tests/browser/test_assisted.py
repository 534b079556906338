"""A caseworker creates a case with the person present, on the caseworker's device."""

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.browser.hasher_page import hash_files, open_hasher
from tests.browser.helpers import sign_in
from tests.browser.media import image_samples, video
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_creates_a_helpline_assisted_case(page, live_server, tmp_path, artifact):
    UserFactory(username="casey", role="caseworker")
    sign_in(page, live_server, "casey")  # password, then the authenticator code
    page.get_by_role("link", name="New assisted case").first.click()
    expect(page.get_by_text("How old is the person?")).to_be_visible()
    open_hasher(page, page.url)

    image = next(s for s in image_samples() if s.name == "big.jpg")
    hashed = hash_files(page, [image.write(tmp_path), video(1024 * 1024).write(tmp_path)])
    assert {h.state for h in hashed.values()} == {"ready"}
    page.get_by_role("button", name="Create the case").click()

    expect(page.get_by_role("heading", name="The case is created")).to_be_visible()
    page.screenshot(path=artifact("assisted-created.png"), full_page=True)
    case = Case.objects.get(number=page.locator("#case-number").inner_text())
    assert (case.source, case.hash_links.count()) == (Case.Source.HELPLINE, 2)
