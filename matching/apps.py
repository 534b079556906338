import os
import sys
import threading
import time
from typing import Any

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        worker_process_init.connect(_map_index_snapshot, weak=False)
        if _is_dev_server_child():
            # gunicorn and Celery map the snapshot before taking traffic; the dev server has no such
            # hook, so its serving process maps it beside the first requests (`/readyz` says when).
            threading.Thread(target=_map_in_background, name="index-warm-up", daemon=True).start()


def _is_dev_server_child() -> bool:
    """The process `manage.py runserver` serves from (its autoreloader's child)."""
    return os.environ.get("RUN_MAIN") == "true" and "runserver" in sys.argv[1:2]


def _map_index_snapshot(**kwargs: Any) -> None:
    """Each Celery worker process maps the host's index snapshot (the image index, then the
    video frame index from the same mapping) before it takes tasks."""
    from matching.frame_index import video_index
    from matching.index import bank_index

    bank_index.warm_up()
    video_index.warm_up()


def _map_in_background() -> None:
    from django.apps import apps
    from django.db import connections

    while not apps.ready:  # the other apps' ready() still running: no database access before they end
        time.sleep(0.05)
    try:
        _map_index_snapshot()
    finally:
        connections.close_all()
