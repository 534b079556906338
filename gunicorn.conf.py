"""gunicorn settings: `gunicorn -c gunicorn.conf.py ncii_site.wsgi`. The master imports the app
once (``preload_app``), so a new or restarted worker is a fork; each worker then maps the host's
PDQ index snapshot before it takes traffic (no request waits for it). A worker started before
any snapshot is published answers lookups from the exact database path until one is. (With
preload, new code needs a restart, not a HUP.)"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"


def post_worker_init(worker: object) -> None:
    from matching.frame_index import video_index
    from matching.index import bank_index

    bank_index.warm_up()
    video_index.warm_up()
