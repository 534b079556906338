"""Liveness and readiness for load balancers. ``/healthz``: the process answers. ``/readyz``:
what this process depends on, as JSON, ``200`` when it can serve and ``503`` when it cannot
(the database is unreachable, or no index snapshot is loaded yet: lookups would take the slow
database path). A broker or cache outage, or an index behind its snapshot, is reported as
``degraded`` with ``200``: the hub keeps working through them (the sweeper re-enqueues,
lookups stay exact). No check ever raises: a failure is a field, never a 500."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import kombu
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from matching.frame_index import video_index
from matching.index import bank_index

_last: tuple[float, dict[str, Any]] | None = None  # NCII_READYZ_CACHE_SECONDS per process


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _cache() -> dict[str, Any]:
    token = uuid.uuid4().hex
    cache.set("readyz-probe", token, 10)
    return {"ok": cache.get("readyz-probe") == token}


def _broker() -> dict[str, Any]:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return {"ok": True, "detail": "none configured: tasks run in-process"}
    with kombu.Connection(url, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return {"ok": True}


def _index() -> dict[str, Any]:
    status = bank_index.status()
    frames = video_index.status()  # where the video frame index's base comes from
    return {"ok": status["mode"] == "snapshot", "loaded": status["snapshot"] is not None, **status, "frames": frames}


def _run(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return check()
    except Exception as exc:  # a check that fails is a finding, not an error page
        return {"ok": False, "error": type(exc).__name__}


def readiness() -> dict[str, Any]:
    checks = {name: _run(check) for name, check in {"database": _database, "cache": _cache, "broker": _broker}.items()}
    checks["index"] = _run(_index)
    ready = checks["database"]["ok"] and checks["index"].get("loaded", False)
    degraded = not all(c["ok"] for c in checks.values())
    return {"status": "unavailable" if not ready else "degraded" if degraded else "ready", "checks": checks}


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    global _last
    now = time.monotonic()
    if _last is None or now - _last[0] >= settings.NCII_READYZ_CACHE_SECONDS:
        _last = (now, readiness())
    body = _last[1]
    return JsonResponse(body, status=503 if body["status"] == "unavailable" else 200)
