from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ncii_site.roles import staff_start_page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public landing page; signed-in staff go to the first tool their role has."""
    start = staff_start_page(request.user) if request.user.is_authenticated else None
    return redirect(start) if start else render(request, "home.html")
