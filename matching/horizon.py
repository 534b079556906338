"""The change horizon: a time before which no further change to the bank can still appear.
Readers that follow the bank by modification time (the exchange feed, each process's index)
read up to it, so nothing that commits late is ever skipped."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

_OLDEST_OPEN_TRANSACTION = """
    SELECT min(xact_start) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND xact_start IS NOT NULL
"""


def change_horizon() -> datetime:
    """The time before which no further change can still appear. A change's modification
    time is taken inside its transaction, so on PostgreSQL no transaction still open can
    commit one older than its own start; the settle window absorbs clock skew (and is the
    whole rule on SQLite, where writers are serialised)."""
    settle = timedelta(seconds=settings.NCII_EXCHANGE_SETTLE_SECONDS)
    horizon = timezone.now() - settle
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OLDEST_OPEN_TRANSACTION)
            oldest = cursor.fetchone()[0]
        if oldest is not None:
            horizon = min(horizon, oldest - settle)
    return horizon
