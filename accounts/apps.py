from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django_otp.plugins.otp_static.apps import DefaultConfig as OTPStaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OTPTOTPConfig


class AccountsConfig(AppConfig):
    """Staff sign-in security: two-factor enrolment and verification, session time limits."""

    default = True
    name = "accounts"
    verbose_name = "Staff accounts"


class HubAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that requires a verified second factor."""

    default = False
    default_site = "accounts.admin_site.HubAdminSite"


# The sign-in apps under names staff read in the admin (their sections say "OTP_TOTP" otherwise).
class AuthenticatorAppsConfig(OTPTOTPConfig):
    default = False
    verbose_name = "Two-factor: authenticator apps"


class RecoveryCodesConfig(OTPStaticConfig):
    default = False
    verbose_name = "Two-factor: recovery codes"


class SignInLockoutConfig(AxesConfig):
    default = False
    verbose_name = "Sign-in lockout"
