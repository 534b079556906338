from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from ncii_site.roles import staff_start_page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public landing page; signed-in staff go to the first tool their role has."""
    start = staff_start_page(request.user) if request.user.is_authenticated else None
    return redirect(start) if start else render(request, "home.html")


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's, API
    answers): the hub's icon from its static files."""
    return redirect(static("favicon.svg"))
