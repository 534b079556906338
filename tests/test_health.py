"""/healthz and /readyz: JSON, 200 or 503, never a 500, whatever is down."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from hub import health
from matching.frame_index import video_index
from matching.index import bank_index
from matching.index_builder import index_build
from tests.factories import BankHashFactory

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "alive"}


@pytest.mark.django_db
def test_not_ready_until_an_index_snapshot_is_loaded():
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == {"ok": True}
    assert body["checks"]["index"]["mode"] == "database" and not body["checks"]["index"]["loaded"]
    BankHashFactory()
    index_build()
    bank_index.load_latest()
    video_index.refresh(force=True)
    body = Client().get("/readyz").json()
    assert body["status"] == "ready"
    assert body["checks"]["index"] | {"age_seconds": 0} == {
        "ok": True,
        "loaded": True,
        "mode": "snapshot",
        "snapshot": "snapshot-00000001.idx",
        "hashes": 1,
        "age_seconds": 0,
        "delta": 0,
        "behind": False,
        "refused": [],
        "frames": {"base": "snapshot-00000001.idx", "frames": 0, "delta": 0},
    }


@pytest.mark.django_db
def test_probes_reuse_one_set_of_checks_for_a_while(settings, monkeypatch):
    monkeypatch.setattr(health, "_last", None)
    settings.NCII_READYZ_CACHE_SECONDS = 3600
    assert Client().get("/readyz").status_code == 503
    index_build()
    bank_index.load_latest()
    assert Client().get("/readyz").status_code == 503, "the answer of the first probe, reused"
    settings.NCII_READYZ_CACHE_SECONDS = 0
    assert Client().get("/readyz").status_code == 200


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.django_db
def test_a_broker_outage_is_reported_as_degraded_not_an_error(settings):
    index_build()
    bank_index.load_latest()
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["checks"]["broker"] == {"ok": False, "error": "OperationalError"}


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_503_json_not_500(settings):
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = _closed_port()
    else:
        connection.settings_dict["NAME"] = "/nonexistent-directory/db.sqlite3"
    try:
        response = Client(raise_request_exception=False).get("/readyz")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_load_the_snapshot_before_taking_traffic(settings):
    banked = BankHashFactory()
    index_build()
    port = _closed_port()
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "NCII_INDEX_DIR": settings.NCII_INDEX_DIR,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "ncii_site.wsgi"], cwd=ROOT, env=env
    )
    try:
        body = None
        deadline = time.monotonic() + 120
        while body is None:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            try:
                body = _get_json(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                time.sleep(0.1)
        assert body["status"] == "ready", body  # the very first answer: loaded before traffic
        assert body["checks"]["index"]["hashes"] == 1 and banked.pk
    finally:
        server.terminate()
        server.wait(timeout=60)


def _get_json(url: str) -> dict:  # type: ignore[type-arg]
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())  # type: ignore[no-any-return]
