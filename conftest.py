import os

import pytest
from django.core.cache import cache

from matching.frame_index import video_index
from matching.index import bank_index
from ncii_site.cache_fallback import throttle_cache
from ncii_site.celery import app as celery_app

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
HAS_BROKER = bool(os.environ.get("CELERY_BROKER_URL"))
REQUIRE_INTEGRATION = bool(os.environ.get("NCII_REQUIRE_INTEGRATION"))
CHROMIUM = os.environ.get("NCII_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need PostgreSQL or a broker skip on the embedded default; in CI
    (NCII_REQUIRE_INTEGRATION) a missing service is an error, not a skip."""
    missing = {
        "postgres": not ON_POSTGRES,
        "integration": not (ON_POSTGRES and HAS_BROKER),
        "browser": not os.path.exists(CHROMIUM),
    }
    for item in items:
        for marker, absent in missing.items():
            if absent and item.get_closest_marker(marker):
                if REQUIRE_INTEGRATION:
                    raise pytest.UsageError(f"{item.nodeid} needs {marker} services, which are not configured")
                reason = f"needs {marker}: DATABASE_URL on PostgreSQL, CELERY_BROKER_URL, {CHROMIUM}"
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_truncate_guard():  # type: ignore[no-untyped-def]
    """The audit table refuses TRUNCATE (audit migration 0005), which is how Django flushes the
    database after a transactional test on PostgreSQL. The test database's superuser flushes in
    ``session_replication_role = replica``, where ordinary triggers do not fire."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def flush_as_replica(self, sql_list):  # type: ignore[no-untyped-def]
        return flush(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    DatabaseOperations.execute_sql_flush = flush_as_replica  # type: ignore[method-assign]
    yield
    DatabaseOperations.execute_sql_flush = flush  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fresh_process_state(request, settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Each test starts with an empty cache (throttles) and index, sees its own writes in
    the exchange at once, and runs tasks in-process unless it is an integration test."""
    settings.NCII_EXCHANGE_SETTLE_SECONDS = 0
    settings.NCII_INDEX_REFRESH_SECONDS = 0
    # Each test has its own (empty) index directory and loads snapshots in its own thread.
    settings.NCII_INDEX_DIR = str(tmp_path_factory.mktemp("index"))
    settings.NCII_INDEX_LOAD_IN_BACKGROUND = False
    settings.NCII_READYZ_CACHE_SECONDS = 0
    # Production hashes passwords and PINs slowly on purpose; tests need not.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No decision goes to a second review unless the test asks (tests/test_qa_review.py).
    settings.NCII_QA_SAMPLE_RATE, settings.NCII_QA_SAMPLE_RATE_BY_REASON = 0.0, {}
    eager = request.node.get_closest_marker("integration") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    cache.clear()
    throttle_cache.clear()
    bank_index.reset()
    video_index.reset()
    yield
    bank_index.reset()
    video_index.reset()
    celery_app.conf.task_always_eager = previous


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


@pytest.fixture
def caseworker(db):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    return UserFactory(username="cw", role="caseworker")


@pytest.fixture
def mod_client(moderator):  # type: ignore[no-untyped-def]
    """A moderator's browser session, past both sign-in factors."""
    from tests.staff_helpers import signed_in

    return signed_in(moderator)


@pytest.fixture
def senior_client(senior):  # type: ignore[no-untyped-def]
    from tests.staff_helpers import signed_in

    return signed_in(senior)
