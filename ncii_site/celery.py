import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

app = Celery("ncii_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _map_index_snapshot(**kwargs: object) -> None:
    """Each worker process maps the host's index snapshot before it takes tasks."""
    from matching.index import bank_index

    bank_index.warm_up()
