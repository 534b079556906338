"""Exposure accounting: the page counts this sign-in's reveals (from the audit trail), shows
what the daily cap leaves, and suggests a break past the moderator's own thresholds."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.wellbeing_services import image_reveal, moderator_settings_update
from tests.factories import PartnerFactory, UserFactory, item_open
from tests.staff_helpers import HTMX, signed_in

pytestmark = pytest.mark.django_db
BREAK = reverse("moderation:wellbeing-break")


def item_page(client, item) -> str:  # type: ignore[no-untyped-def]
    return client.get(reverse("moderation:item", args=[item.pk])).content.decode()


def reveal(user, item, times: int = 1) -> None:  # type: ignore[no-untyped-def]
    report_id = item.memberships.first().report_id
    for _ in range(times):
        image_reveal(moderator=user, item_id=item.pk, report_id=report_id, level="grey")


@pytest.fixture
def item(db):  # type: ignore[no-untyped-def]
    return item_open(PartnerFactory())


def thresholds(user, reveals: int = 25, minutes: int = 60) -> None:  # type: ignore[no-untyped-def]
    moderator_settings_update(
        moderator=user, blur_radius=14, reblur_seconds=5, break_after_reveals=reveals, break_after_minutes=minutes
    )


def test_the_page_counts_reveals_of_this_sign_in_only(moderator, item):
    reveal(moderator, item, 2)  # before signing in
    client = signed_in(moderator)
    assert "revealed this sign-in: <strong data-reveal-count>0</strong>" in item_page(client, item)
    reveal(moderator, item, 3)
    reveal(UserFactory(role="moderator"), item)  # someone else's
    page = item_page(client, item)
    assert "revealed this sign-in: <strong data-reveal-count>3</strong>" in page
    assert "data-reveals-left" not in page  # no cap for this role


def test_the_page_shows_what_the_daily_cap_leaves(moderator, item, settings):
    settings.NCII_DAILY_REVEAL_CAP = {"moderator": 10}
    reveal(moderator, item, 4)
    assert "<strong data-reveals-left>6</strong> more allowed today" in item_page(signed_in(moderator), item)


def test_a_break_is_suggested_after_the_moderators_reveals_and_dismissed(moderator, item):
    thresholds(moderator, reveals=5)
    client = signed_in(moderator)
    assert 'data-since-break="0"' in item_page(client, item)
    reveal(moderator, item, 5)
    page = item_page(client, item)
    assert 'data-break-reveals="5"' in page and 'data-since-break="5"' in page
    assert "Time for a break" in page and not page_has_hidden_prompt(page)
    response = client.post(BREAK, {"next": reverse("moderation:item", args=[item.pk])})
    assert response.url == reverse("moderation:item", args=[item.pk])
    page = item_page(client, item)
    assert page_has_hidden_prompt(page) and 'data-since-break="0"' in page
    assert "data-reveal-count>5<" in page  # the sign-in's count goes on


def page_has_hidden_prompt(page: str) -> bool:
    prompt = page[page.index('<section id="break-prompt"') :]
    return "hidden>" in prompt[: prompt.index(">") + 1]


def test_a_break_is_suggested_after_the_moderators_minutes(moderator, item):
    thresholds(moderator, minutes=15)
    client = signed_in(moderator)
    assert page_has_hidden_prompt(item_page(client, item))
    session = client.session
    session["wellbeing_since"] = (timezone.now() - timedelta(minutes=16)).isoformat()
    session.save()
    assert not page_has_hidden_prompt(item_page(client, item))


def test_dismissing_with_htmx_swaps_in_a_fresh_hidden_prompt(moderator, item):
    thresholds(moderator, reveals=5)
    client = signed_in(moderator)
    reveal(moderator, item, 6)
    item_page(client, item)
    response = client.post(BREAK, **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="break-prompt"') and "<html" not in body
    assert page_has_hidden_prompt(body) and 'data-since-break="0"' in body


def test_dismissing_never_redirects_off_site(moderator):
    response = signed_in(moderator).post(BREAK, {"next": "https://evil.example/"})
    assert response.url == reverse("moderation:queue")


def test_break_dismissal_is_post_only_for_reviewers(moderator, caseworker):
    assert signed_in(moderator).get(BREAK).status_code == 405
    assert signed_in(caseworker).post(BREAK).status_code == 403


def test_the_settings_page_shows_the_count_too(moderator, item):
    client = signed_in(moderator)
    client.get(reverse("moderation:wellbeing"))
    reveal(moderator, item, 2)
    assert "data-reveal-count>2<" in client.get(reverse("moderation:wellbeing")).content.decode()
