from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import Actor
from moderation.wellbeing_services import moderator_blur_off_allow


class Command(BaseCommand):
    help = "Allow a moderator to turn the preview blur off (their choice then), or withdraw that. Audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        choice = parser.add_mutually_exclusive_group(required=True)
        choice.add_argument("--allow", action="store_true", help="let them choose unblurred previews")
        choice.add_argument("--withdraw", action="store_true", help="take the choice away (blur comes back on)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        allowed = bool(options["allow"])
        moderator_blur_off_allow(actor=Actor.system("manage.py moderator_blur_off"), user=user, allowed=allowed)
        state = "may now turn the blur off" if allowed else "can no longer turn the blur off"
        self.stdout.write(f"{user.get_username()} {state}.")
