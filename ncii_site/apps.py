from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NciiSiteConfig(AppConfig):
    name = "ncii_site"
    verbose_name = "NCII Hub"

    def ready(self) -> None:
        from ncii_site import checks  # noqa: F401 - registers the deployment checks
        from ncii_site.roles import roles_sync_after_migrate

        post_migrate.connect(roles_sync_after_migrate)
