"""How the integration tests start a real Celery worker: one process, one task at a time."""

import sys

CELERY_WORKER = (
    sys.executable,
    "-m",
    "celery",
    "-A",
    "ncii_site",
    "worker",
    "--pool=solo",
    "--without-gossip",
    "--without-mingle",
)
