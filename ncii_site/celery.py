import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

app = Celery("ncii_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
