from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from ncii_site.db_roles import RoleConfigError, connected_as_owner, runtime_role_grant


class Command(migrate.Command):
    help = (
        "Django's migrate. With DATABASE_MIGRATE_URL set (PostgreSQL), it connects as that role, the "
        "owner, and then grants DATABASE_URL's role what the app needs: no schema changes, and only "
        "INSERT and SELECT on the audit table."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        url = settings.NCII_DATABASE_MIGRATE_URL
        connection = connections[options["database"]]
        if not url or options["database"] != DEFAULT_DB_ALIAS or connection.vendor != "postgresql":
            super().handle(*args, **options)
            return
        try:
            with connected_as_owner(connection, url) as runtime_role:
                super().handle(*args, **options)
                owner = connection.settings_dict["USER"]
                if runtime_role and runtime_role != owner:
                    runtime_role_grant(connection, role=runtime_role)
                    self.stdout.write(f"Granted {runtime_role} the runtime rights (audit events: INSERT, SELECT).")
        except RoleConfigError as exc:
            raise CommandError(str(exc)) from None
