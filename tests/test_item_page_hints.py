"""The item page's hints match what the item allows this user: the key legend and the
shortcut list name only the decisions on offer, and a reason that needs a note opens it."""

import re

import pytest

from tests.dashboard_helpers import decide, item_url, pending_item, set_state
from tests.factories import UserFactory
from tests.staff_helpers import HTMX, signed_in

pytestmark = pytest.mark.django_db


def legend_keys(page: str) -> set[str]:
    legend = re.search(r"<p [^>]*data-key-legend>(.*?)</p>", page, re.S)
    return set(re.findall(r"<kbd>([a-z])</kbd> [a-z]+", legend[1])) if legend else set()


def help_keys(page: str) -> set[str]:
    """The shortcut list's keys for deciding and revealing ("1" stands for the reasons)."""
    dialog = re.search(r"<dialog [^>]*data-shortcut-help>(.*?)</dialog>", page, re.S)[1]
    return set(re.findall(r"<dt><kbd>(\w)</kbd>", dialog)) & {"1", "c", "d", "e", "r"}


@pytest.mark.parametrize(
    ("role", "state", "legend", "help"),
    [
        ("moderator", "pending", {"c", "d", "e"}, {"1", "c", "d", "e", "r"}),
        ("senior_moderator", "escalated", {"c", "d"}, {"1", "c", "d", "r"}),  # no "e escalate" on an escalated item
        ("senior_moderator", "confirmed", set(), {"1", "r"}),  # decided: only reopen, which has no key
        ("moderator", "escalated", set(), {"r"}),  # nothing to decide: no legend at all
    ],
)
def test_the_keys_shown_are_the_decisions_the_item_allows(role, state, legend, help):
    item = set_state(pending_item(), state)
    page = signed_in(UserFactory(role=role)).get(item_url(item)).content.decode()
    assert legend_keys(page) == legend
    assert help_keys(page) == help


def test_the_queue_lists_no_key_for_deciding_or_revealing():
    page = signed_in(UserFactory(role="moderator")).get("/dashboard/").content.decode()
    assert help_keys(page) == set() and "<kbd>n</kbd>" in page


def test_a_refused_other_without_a_note_comes_back_with_the_note_open(moderator):
    item = pending_item()
    panel = decide(signed_in(moderator), item, "confirm", note="", code="other", **HTMX).content.decode()
    assert "This reason needs a note saying why." in panel
    assert re.search(r"<details class=\"note-box\" data-note-box open>", panel)
    assert 'data-note-required="other"' in panel  # the page's script opens it before sending, too
