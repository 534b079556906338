from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"

    def ready(self) -> None:
        from matching import schema  # noqa: F401  (registers the OpenAPI auth schemes)
