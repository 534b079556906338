"""Staff roles as Django groups. The permission lists here are the single source of truth;
``roles_sync`` brings the groups in line after every migrate."""

from typing import Any

from django.contrib.auth.models import Group, Permission, User


class Role:
    ADMIN = "admin"
    MODERATOR = "moderator"
    SENIOR_MODERATOR = "senior_moderator"
    CASEWORKER = "caseworker"
    CHILD_SAFETY = "child_safety"  # the only role that sees items marked "possible minor"


REVIEW = "moderation.review_item"
REVIEW_ESCALATED = "moderation.review_escalated"
REOPEN = "moderation.reopen_item"
WORK_CASE = "cases.work_case"
MANAGE_PARTNER = "partners.manage_partner"
VIEW_METRICS = "moderation.view_metrics"
REVIEW_MINOR = "moderation.review_minor"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MODERATOR: [REVIEW],
    Role.SENIOR_MODERATOR: [REVIEW, REVIEW_ESCALATED, REOPEN, VIEW_METRICS],
    Role.CASEWORKER: [WORK_CASE],
    Role.CHILD_SAFETY: [REVIEW_MINOR],
    Role.ADMIN: [MANAGE_PARTNER, VIEW_METRICS, "auth.view_user", "auth.add_user", "auth.change_user"],
}


# Where each kind of staff starts: the first of these tools their role has (URL names).
STAFF_START_PAGES = [
    (REVIEW, "moderation:queue"),
    (WORK_CASE, "casework:search"),
    (MANAGE_PARTNER, "partners:list"),
    (REVIEW_MINOR, "moderation:child-safety"),
]


def staff_start_page(user: Any) -> str | None:
    """The URL name of the first tool the user's role has, or None (not staff)."""
    return next((name for permission, name in STAFF_START_PAGES if user.has_perm(permission)), None)


def roles_sync() -> None:
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def roles_sync_after_migrate(*, app_config: Any, **kwargs: Any) -> None:
    # Permissions are created per app as post_migrate runs; moderation comes last.
    if app_config.label == "moderation":
        roles_sync()


def user_role_assign(*, user: User, role: str) -> None:
    user.groups.add(Group.objects.get(name=role))
