from typing import Any

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        worker_process_init.connect(_map_index_snapshot, weak=False)


def _map_index_snapshot(**kwargs: Any) -> None:
    """Each Celery worker process maps the host's index snapshot (and fills its video frame
    index) before it takes tasks."""
    from matching.index import bank_index
    from matching.video import video_index

    bank_index.warm_up()
    video_index.warm_up()
