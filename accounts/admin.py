"""Staff accounts in the admin. Administrators manage accounts and their roles (groups); only a
superuser may make a superuser or grant permissions one by one, so the admin role cannot raise
itself, or anyone, above the roles."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest


class StaffUserAdmin(UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "user_permissions")


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
