"""What the hub does when its shared cache (Redis at ``CACHE_URL``) cannot be reached.

Throttles fail **open** to a per-process fallback: ``throttle_cache`` talks to the shared
cache and, when a call fails, answers from a per-process memory cache instead, so limits
still hold per process (looser in total, never unlimited, never a 500). After a failure the
shared cache is left alone for ``NCII_CACHE_RETRY_SECONDS`` (a dead host costs one timeout per
period, not one per request), and the outage is logged at most once a minute per process.

The PIN guard fails **closed** instead (``cases.pin_guard``): it catches ``CACHE_ERRORS``
and refuses with 503, since a per-process count would let guesses spread over processes."""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache as shared_cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
LOG_EVERY_SECONDS = 60.0


class FallbackCache(BaseCache):
    """The two calls DRF's throttles make (``get`` and ``set``), failing over to memory."""

    def __init__(self) -> None:
        super().__init__({})
        self.local = LocMemCache("ncii-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._logged_at = -LOG_EVERY_SECONDS

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._call("get", key, default, version)

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._call("set", key, value, timeout, version)

    def clear(self) -> None:
        """Forget the per-process counts and the outage (tests)."""
        self.local.clear()
        self._down_until, self._logged_at = 0.0, -LOG_EVERY_SECONDS

    def is_degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, method: str, *args: Any) -> Any:
        if not self.is_degraded():
            try:
                return getattr(shared_cache, method)(*args)
            except CACHE_ERRORS as exc:
                self._went_down(exc)
        return getattr(self.local, method)(*args)

    def _went_down(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + settings.NCII_CACHE_RETRY_SECONDS
            if now - self._logged_at < LOG_EVERY_SECONDS:
                return
            self._logged_at = now
        # The exception's type only: its text may name the cache's address.
        logger.warning("Shared cache unreachable (%s): throttles count per process for now", type(exc).__name__)


throttle_cache = FallbackCache()
