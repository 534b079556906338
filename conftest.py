import pytest
from django.core.cache import cache

from matching.index import bank_index


@pytest.fixture(autouse=True)
def _fresh_process_state(settings):  # type: ignore[no-untyped-def]
    """Each test starts with an empty cache (throttles) and index, and sees its own writes
    in the exchange at once."""
    settings.NCII_EXCHANGE_SETTLE_SECONDS = 0
    cache.clear()
    bank_index.reset()
    yield
    bank_index.reset()


@pytest.fixture
def partner_keys(db):  # type: ignore[no-untyped-def]
    from tests.factories import partner_with_keys

    return partner_with_keys("acme")


@pytest.fixture
def moderator(db):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    return UserFactory(username="mod", role="moderator")


@pytest.fixture
def senior(db):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    return UserFactory(username="senior", role="senior_moderator")
