from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        # Register the pipeline task in every process (web and worker), so the matching app
        # can dispatch it by name and eager mode runs it in-process.
        from moderation import tasks  # noqa: F401
