from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    """Staff sign-in security: two-factor enrolment and verification, session time limits."""

    default = True
    name = "accounts"
    verbose_name = "Staff accounts"


class HubAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that requires a verified second factor."""

    default = False
    default_site = "accounts.admin_site.HubAdminSite"
