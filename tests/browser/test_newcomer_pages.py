"""The dashboard as a newcomer tries it in Chromium: no page logs a console error (a CSP
violation, a missing file, a script error), the case page's hashes table fits its column, and
choosing "Other" opens the note before anything is sent."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from audit.services import Actor
from cases.services import HashInput, case_create
from matching.crypto import image_encrypt
from matching.models import HashFeedback, ReviewImage
from matching.services import feedback_record
from moderation.audit_events import ITEM_CONFIRM
from moderation.models import QaReview, ReviewItem
from tests.browser.helpers import keys_on, sign_in
from tests.factories import PartnerFactory, UserFactory, item_open, random_pdq
from tests.images import encode, photo_like

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC = ["/", "/cases/new/", "/cases/check/", "/cases/withdraw/", "/transparency/", "/accounts/login/", "/api/docs/"]
# Not followed: signing out, what changes or deletes, review images (each view is a recorded reveal).
SKIP = re.compile(r"/logout/|/delete/|/history/|/password/|/image|/static/|/favicon")
PAGES_PER_ROLE = 30


def a_hub_with_everything():  # type: ignore[no-untyped-def]
    """Partners, a case whose hashes were reported by several partners (items pending, with a
    review image, escalated and decided) and the staff of every role."""
    photo, clip, chat = (PartnerFactory(display_name=n) for n in ("PhotoShare", "ClipHub", "ChatSpace"))
    case, _ = case_create(hashes=[HashInput("ImagePDQ", random_pdq(), 90) for _ in range(3)], actor=Actor.public())
    links = list(case.hash_links.select_related("bank_hash"))
    with_image = item_open(photo, clip, bank_hash=links[0].bank_hash)
    ReviewImage.objects.create(
        report=with_image.memberships.first().report,
        ciphertext=image_encrypt(encode(photo_like(1, (512, 384)))),
        width=512,
        height=384,
    )
    escalated = item_open(clip, bank_hash=links[1].bank_hash)
    decided = item_open(chat, photo, bank_hash=links[2].bank_hash)
    ReviewItem.objects.filter(pk=escalated.pk).update(state="escalated")
    ReviewItem.objects.filter(pk=decided.pk).update(state="confirmed")
    for partner in (photo, chat):
        value = HashFeedback.Value.BLOCKED if partner == photo else HashFeedback.Value.NOT_BLOCKED
        feedback_record(bank_hash_id=links[2].bank_hash_id, partner=partner, value=value, tags=[], actor=Actor.system())
    for username, role in (("mod", "moderator"), ("senior", "senior_moderator"), ("cw", "caseworker")):
        UserFactory(username=username, role=role)
    UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    first = UserFactory(role="moderator")  # a sampled decision waiting for its second review
    QaReview.objects.create(
        item=with_image, item_version=1, first_by=first, first_state="confirmed", first_code="other"
    )
    return case


class Console:
    """Every error a page logs: console errors (CSP violations, failed loads) and uncaught
    script errors, each with the page it happened on."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))


def shape(url: str) -> str:
    """Pages differing only in ids or query values are the same page to check."""
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(sorted(k for k, _ in parse_qsl(parts.query)))


def crawl(page, start: list[str], limit: int = PAGES_PER_ROLE) -> set[str]:  # type: ignore[no-untyped-def]
    """Open the start pages and the hub's pages their links reach, one of each shape."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start[0]))
    todo, seen = list(start), set()
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if shape(url) in seen:
            continue
        seen.add(shape(url))
        page.goto(url, wait_until="networkidle")
        hrefs = page.eval_on_selector_all("a[href]:not([target])", "links => links.map(a => a.href.split('#')[0])")
        todo += [h for h in hrefs if h.startswith(origin) and not SKIP.search(h)]
    return seen


def test_public_pages_log_no_console_error(page, live_server):
    console = Console(page)
    seen = crawl(page, [live_server.url + path for path in PUBLIC], limit=len(PUBLIC) + 4)
    assert len(seen) >= len(PUBLIC)
    assert console.errors == []


@pytest.mark.parametrize("username", ["mod", "senior", "cw", "root"])
def test_no_staff_page_logs_a_console_error(page, live_server, username):
    a_hub_with_everything()
    console = Console(page)
    sign_in(page, live_server, username)
    seen = crawl(page, [page.url, live_server.url + "/dashboard/"])
    assert len(seen) >= 4, seen
    assert console.errors == [], "\n".join(console.errors)


@pytest.mark.parametrize("width", [1280, 1024])
def test_the_case_pages_hashes_table_fits_its_column(page, live_server, width):
    case = a_hub_with_everything()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "cw")
    page.goto(f"{live_server.url}/dashboard/cases/{case.pk}/")
    table = page.locator("section[aria-labelledby=hashes-heading] table")
    expect(table.locator(".state-escalated")).to_have_count(1)
    overflow = table.evaluate(
        """table => {
            const column = table.closest('section').parentElement.getBoundingClientRect();
            const cells = Array.from(table.querySelectorAll('th, td, .state'));
            return Math.max(table.getBoundingClientRect().right, ...cells.map(c => c.getBoundingClientRect().right))
                - column.right;
        }"""
    )
    assert overflow <= 0.5, f"the hashes table runs {overflow:.0f} px past its column at {width} px"


def test_choosing_other_opens_the_note_and_nothing_is_sent_without_one(page, live_server):
    a_hub_with_everything()
    item = ReviewItem.objects.filter(state="pending").first()
    sign_in(page, live_server, "mod")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    keys_on(page)
    note_box = page.locator("[data-note-box]")
    expect(note_box).not_to_have_attribute("open", "")
    page.get_by_label(re.compile("Reason")).select_option("other")
    expect(note_box).to_have_attribute("open", "")
    note = page.get_by_label("Note", exact=True)
    expect(note).to_be_visible()
    page.get_by_role("button", name="Confirm").click()
    expect(note).to_be_focused()  # the browser asks for the note; the form was not sent
    assert not AuditEvent.objects.filter(action=ITEM_CONFIRM).exists()
    page.get_by_label(re.compile("Reason")).select_option("different_image")
    expect(note).not_to_have_attribute("required", "")  # other reasons need no note
    page.keyboard.press("Escape")
    page.keyboard.press("7")  # the key for "Other" (the seventh reason)
    expect(note).to_have_attribute("required", "")


def test_a_swapped_panel_sets_no_inline_style(page, live_server):
    """htmx carries an element's attributes across a swap ("settling"); a style attribute the
    browser or a tool left on it (a script's element.style, a screenshot) would be set again,
    which the policy refuses. The hub settles no style."""
    a_hub_with_everything()
    item = ReviewItem.objects.filter(state="pending").first()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, live_server, "mod")
    page.goto(f"{live_server.url}/dashboard/items/{item.pk}/")
    keys_on(page)
    page.locator("#decision-panel").evaluate("panel => { panel.style.opacity = '1'; }")  # allowed: the CSSOM
    page.get_by_label(re.compile("Reason")).select_option("different_image")
    ReviewItem.objects.filter(pk=item.pk).update(version=item.version + 1)  # someone decided meanwhile
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#decision-panel .alert.error")).to_be_visible()  # the refusal, swapped in
    expect(page.locator("#decision-panel.htmx-settling")).to_have_count(0)
    assert violations == []
