"""The admin site: only for staff whose session passed the second factor (OTPAdminSite), and
with the hub's one sign-in page instead of the admin's own."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp.admin import OTPAdminSite


class HubAdminSite(OTPAdminSite):
    site_header = "NCII Hub administration"
    site_title = "NCII Hub admin"

    def __init__(self, name: str = "admin") -> None:  # OTPAdminSite's default is "otpadmin"
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Anonymous visitors sign in on the hub's page (lockout, second factor). Signed-in
        staff the admin refuses get a 403: sending them to sign in again would loop."""
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next") or reverse("admin:index", current_app=self.name))
