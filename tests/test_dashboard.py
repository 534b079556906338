"""The moderator dashboard: access, the queues, review next, and decisions on the item page."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Many sign-ins here; the real hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_home_page_is_public_and_links_to_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert reverse("login") in response.content.decode()


def test_sign_in_page_renders_the_layout(client, moderator):
    page = client.get(reverse("login")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "django_htmx/htmx-2.min.js" in page
    response = client.post(reverse("login"), {"username": "mod", "password": PASSWORD})
    assert response.status_code == 302
