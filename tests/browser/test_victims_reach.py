"""The victims' pages in Chromium: Arabic right to left with nothing overflowing on a phone (and
the hasher's messages from the JavaScript catalogue, under the CSP), axe-core on the public
and main staff pages in English and Arabic, a case created with the keyboard alone, and the
quick exit."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from audit.services import Actor
from cases.services import HashInput, case_create
from hub.models import MetricsDay
from hub.rollups import BUILT
from moderation.models import QaReview, ReviewItem
from tests.browser.hasher_page import DONE, wait_until
from tests.browser.helpers import sign_in
from tests.browser.media import image_samples
from tests.factories import PartnerFactory, UserFactory, item_open, random_pdq

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NEUTRAL = "https://neutral.example/"
BLOCKING = {"serious", "critical"}
# Elements that sit off screen on purpose until focused.
OVERFLOW_CHECK = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.skip-link, .visually-hidden, template, [hidden]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && (box.left < -1 || box.right > width + 1)) out.push(el.tagName + '.' + el.className);
  }
  return {scroll: document.documentElement.scrollWidth, width, out};
}"""


def sample(tmp_path, name: str = "tiny.png") -> str:  # type: ignore[no-untyped-def]
    return next(s for s in image_samples() if s.name == name).write(tmp_path)


def pass_the_gate(page) -> None:  # type: ignore[no-untyped-def]
    """Any language: answered by the controls' values, not their (translated) labels."""
    page.locator("input[name=age][value=adult]").check()
    page.locator("input[name=in_images]").check()
    page.locator("form button[type=submit]").click()
    expect(page.locator("#hasher[data-ready=true]")).to_be_attached()


def assert_fits(page) -> None:  # type: ignore[no-untyped-def]
    fit = page.evaluate(OVERFLOW_CHECK)
    assert fit["scroll"] <= fit["width"] and fit["out"] == [], fit


def test_the_arabic_case_page_reads_right_to_left_and_fits_a_phone(page, live_server, tmp_path, artifact):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/ar/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert_fits(page)
    page.screenshot(path=artifact("ar-home.png"), full_page=True)

    page.goto(live_server.url + "/ar/cases/new/")
    assert page.locator("html").get_attribute("dir") == "rtl" and page.locator("html").get_attribute("lang") == "ar"
    assert_fits(page)
    pass_the_gate(page)
    page.set_input_files("#files", [sample(tmp_path)])
    wait_until(page, DONE.format(n=1), 60_000)

    expect(page.locator("#file-list li .file-status")).to_contain_text("جاهزة")  # the catalogue's Arabic
    expect(page.locator("#hasher-status")).to_have_text("جاهز للحماية: 1 صورة.")
    assert_fits(page)
    page.screenshot(path=artifact("ar-cases-new.png"), full_page=True)


def scan(page, url: str, report: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core on the page: the serious and critical violations; the rest go to the report."""
    page.goto(url)
    violations = Axe().run(page).response["violations"]
    for v in violations:
        report.append(f"{url}: {v['impact']} {v['id']} ({len(v['nodes'])}): {v['help']}")
    return [f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}" for v in violations if v["impact"] in BLOCKING]


@pytest.fixture
def staff_world(db):  # type: ignore[no-untyped-def]
    case, _ = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90)], actor=Actor.public())
    item = item_open(PartnerFactory(display_name="PhotoShare"), bank_hash=case.hash_links.get().bank_hash)
    user = UserFactory(username="all-roles", role="admin", is_staff=True)
    for role in ("moderator", "caseworker"):
        user.groups.add(*UserFactory(role=role).groups.all())
    first = UserFactory(role="moderator")  # a sampled decision of someone else's, for the blind page
    qa = QaReview.objects.create(item=item, item_version=1, first_by=first, first_state="confirmed", first_code="other")
    return {"case": case, "item": item, "qa": qa}


def transparency_figures_in_rollup() -> None:
    """A rollup with a quarter of figures, some suppressed, so the page shows its table."""
    today = timezone.now().date()
    MetricsDay.objects.create(day=today, series=BUILT, key="", count=0)
    for series, key, count in [("cases.created", "", 40), ("bank.added", "", 7), ("items.decided", "confirmed", 30)]:
        MetricsDay.objects.create(day=today - timedelta(days=1), series=series, key=key, count=count)


def test_axe_finds_nothing_serious_on_public_and_staff_pages_in_english_and_arabic(
    page, live_server, staff_world, capsys, artifact
):
    report: list[str] = []
    blocking: dict[str, list[str]] = {}
    public = ["/", "/cases/new/", "/cases/check/", "/cases/withdraw/", "/transparency/"]
    transparency_figures_in_rollup()
    for prefix in ("", "/ar"):
        for path in public:
            blocking[prefix + path] = scan(page, live_server.url + prefix + path, report)
        page.goto(live_server.url + prefix + "/cases/new/")
        pass_the_gate(page)
        violations = Axe().run(page).response["violations"]
        blocking[prefix + "/cases/new/ (hasher)"] = [v["id"] for v in violations if v["impact"] in BLOCKING]

    sign_in(page, live_server, "all-roles")
    item, case = staff_world["item"], staff_world["case"]
    staff = ["/dashboard/", f"/dashboard/items/{item.pk}/", f"/dashboard/cases/{case.pk}/", "/dashboard/partners/"]
    staff += ["/dashboard/metrics/", "/dashboard/qa/", f"/dashboard/qa/{staff_world['qa'].pk}/"]
    staff.append("/dashboard/decisions/export/")
    for language in ("en", "ar"):
        page.set_extra_http_headers({"Accept-Language": language})
        for path in staff:
            blocking[f"{path} [{language}]"] = scan(page, live_server.url + path, report)
        if language == "ar":
            assert page.locator("html").get_attribute("dir") == "rtl"
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    page.screenshot(path=artifact("ar-item.png"), full_page=True)  # the item page, right to left

    with capsys.disabled():
        print(f"\naxe-core: {len(report)} violations below serious/critical on {len(blocking)} pages")
        for line in report:
            print("  " + line)
    assert {url: found for url, found in blocking.items() if found} == {}


def tab_to(page, selector: str, limit: int = 40) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the element is focused, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_case_is_created_with_the_keyboard_alone(page, browser, live_server, tmp_path):
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + "/cases/new/")
    tab_to(page, "input[name=age]")
    page.keyboard.press("Space")  # the first answer: 18 or older
    tab_to(page, "input[name=in_images]")
    page.keyboard.press("Space")
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#hasher[data-ready=true]")).to_be_attached()

    tab_to(page, "#files")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files([sample(tmp_path, "large.png")])
    expect(page.locator("#hasher-status")).to_have_text("Ready to protect: 1 image.")  # announced (aria-live)
    assert page.locator("#hasher-status").get_attribute("aria-live") == "polite"
    tab_to(page, "#create-case")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Your case is created")).to_be_focused()
    tab_to(page, "#copy-credentials")
    page.keyboard.press("Enter")
    expect(page.locator("#copy-status")).to_contain_text("Copied")
    number, pin = page.locator("#case-number").inner_text(), page.locator("#case-pin").inner_text()
    assert page.evaluate("navigator.clipboard.readText()") == f"Case number: {number}\nPIN: {pin}"
    browser.clear_permissions()


def test_shift_three_times_empties_the_page_and_replaces_it_with_the_neutral_site(
    page, live_server, tmp_path, settings
):
    settings.NCII_QUICK_EXIT_URL = NEUTRAL
    neutral = {"status": 204, "body": ""}  # first a 204: the navigation stops, the left page stays to inspect
    page.route(NEUTRAL + "**", lambda route: route.fulfill(content_type="text/html", **neutral))
    page.goto(live_server.url + "/cases/new/")
    pass_the_gate(page)
    page.set_input_files("#files", [sample(tmp_path, "large.png")])
    expect(page.locator("#create-case")).to_be_enabled()
    page.locator("#create-case").click()
    expect(page.locator("#case-created")).to_be_visible()
    pin = page.locator("#case-pin").inner_text()
    assert re.fullmatch(r"\d{8}", pin)
    entries = page.evaluate("history.length")

    with page.expect_response(NEUTRAL + "**"):
        for _ in range(3):
            page.keyboard.press("Shift")
    expect(page.locator("html[data-quick-exit=left]")).to_be_attached()
    assert page.evaluate("document.body.childElementCount") == 0 and pin not in page.content()
    assert page.title() == ""

    neutral.update(status=200, body="<title>Weather</title><p>Sunny</p>")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(NEUTRAL)
    expect(page).to_have_title("Weather")  # the neutral page itself has loaded, not only its address
    assert page.evaluate("history.length") == entries  # replaced, not added: Back skips the case page
    assert pin not in page.content()


def test_the_exit_button_leaves_from_every_public_page(page, live_server, settings):
    settings.NCII_QUICK_EXIT_URL = NEUTRAL
    page.route(NEUTRAL + "**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>ok</p>"))
    for path in ["/", "/es/cases/check/", "/ar/cases/withdraw/", "/cases/new/"]:
        page.goto(live_server.url + path)
        entries = page.evaluate("history.length")
        page.locator("#quick-exit").click()
        page.wait_for_url(NEUTRAL)
        assert page.evaluate("history.length") == entries, path
    assert ReviewItem.objects.count() == 0  # nothing was written along the way
