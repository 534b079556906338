"""What a staff member may see: every partner's reports (hub staff) or one partner's. It is
read once per request (``request_scope``) or per service call (``staff_scope``) and handed
to the selectors, which filter by it instead of asking again."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest

from moderation.models import StaffProfile
from ncii_site.roles import REVIEW, REVIEW_MINOR, WORK_CASE


@dataclass(frozen=True)
class StaffScope:
    user: User
    partner_id: int | None  # None: hub staff, who see every partner's reports
    minors: bool = False  # sees items marked "possible minor" (the child-safety role)
    ordinary: bool = True  # sees the other items (everyone but child-safety-only staff)

    @property
    def hub_wide(self) -> bool:
        return self.partner_id is None


def staff_scope(user: User) -> StaffScope:
    profile = StaffProfile.objects.filter(user_id=user.pk).values("partner_id").first()
    minors = user.has_perm(REVIEW_MINOR)
    ordinary = not minors or user.has_perm(REVIEW) or user.has_perm(WORK_CASE)
    return StaffScope(
        user=user, partner_id=profile["partner_id"] if profile else None, minors=minors, ordinary=ordinary
    )


def request_scope(request: HttpRequest) -> StaffScope:
    """The signed-in staff member's scope, computed on the request's first use."""
    scope = getattr(request, "_staff_scope", None)
    if scope is None or scope.user.pk != request.user.pk:
        scope = staff_scope(request.user)  # type: ignore[arg-type]
        request._staff_scope = scope  # type: ignore[attr-defined]
    return scope
