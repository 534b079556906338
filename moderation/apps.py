from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        from cases.hidden_decisions import hidden_decisions_rule_add
        from moderation import tasks  # noqa: F401
        from moderation.qa_blind import qa_blind_among

        # Register the pipeline task in every process (web and worker), so the matching app
        # can dispatch it by name and eager mode runs it in-process (the import above).
        # The case page hides a blind second reviewer's decisions (cases may not import moderation).
        hidden_decisions_rule_add(qa_blind_among)
