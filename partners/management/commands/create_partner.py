import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from audit.services import Actor
from partners.services import partner_create


class Command(BaseCommand):
    help = "Create a partner platform and print its keys. They are shown once and stored hashed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--json", action="store_true", help="print the keys as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            partner, keys = partner_create(
                name=options["name"], display_name=options["display_name"], actor=Actor.system("create_partner")
            )
        except IntegrityError:
            raise CommandError(f"A partner named {options['name']!r} already exists.") from None
        if options["json"]:
            out = {
                "partner": partner.name,
                "subscriptionKey": keys.subscription_key,
                "functionKeys": keys.function_keys,
                "apiKey": keys.api_key,
            }
            self.stdout.write(json.dumps(out, indent=2))
            return
        self.stdout.write(f"Partner {partner.name!r} created. Keys (shown once, store them now):")
        self.stdout.write(f"  API key (Authorization: Bearer):     {keys.api_key}")
        self.stdout.write(f"  Ocp-Apim-Subscription-Key:           {keys.subscription_key}")
        for endpoint, key in keys.function_keys.items():
            self.stdout.write(f"  x-functions-key for {endpoint + ':':<16} {key}")
