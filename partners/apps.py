from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from partners import (
            schema,  # noqa: F401  (registers the OpenAPI auth schemes)
            tasks,  # noqa: F401  (webhook tasks, dispatched by name in every process)
        )
