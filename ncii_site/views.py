from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ncii_site.roles import MANAGE_PARTNER, REVIEW, WORK_CASE


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public landing page; signed-in staff go to the first tool their role has."""
    user = request.user
    if user.is_authenticated:
        if user.has_perm(REVIEW):
            return redirect("moderation:queue")
        if user.has_perm(WORK_CASE):
            return redirect("casework:search")
        if user.has_perm(MANAGE_PARTNER):
            return redirect("partners:list")
    return render(request, "home.html")
