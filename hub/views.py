"""The site's own pages: home, error pages (JSON under the APIs) and the hub-wide metrics
page (Chart.js charts from static/js/metrics.js, with the same numbers in tables; for admins
and senior moderators, refused to staff tied to one partner since the figures cover every
partner)."""

import csv
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.http import require_GET
from rest_framework import status

from hub.metrics import metrics_get
from hub.transparency import COUNTS, Figures, transparency_figures
from moderation.qa_selectors import Agreement, may_see_moderator_agreement, qa_agreement
from moderation.scope import request_scope
from ncii_site.api import API_PREFIXES, json_error
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.i18n import language_offer
from ncii_site.roles import VIEW_METRICS, staff_start_page


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public landing page; signed-in staff go to the first tool their role has."""
    start = staff_start_page(request.user) if request.user.is_authenticated else None
    return redirect(start) if start else render(request, "home.html", {"language_offer": language_offer(request)})


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    """The public transparency figures, by quarter, small counts suppressed (hub.transparency)."""
    return render(request, "hub/transparency.html", {"figures": transparency_figures()})


CSV_COLUMNS = ("quarter", *COUNTS, "confirmed_share", "dismissed_share", "median_hours")


@require_GET
def transparency_csv(request: HttpRequest) -> HttpResponse:
    """The same figures as CSV: a suppressed cell reads "fewer than N" (a count) or "withheld"."""
    figures = transparency_figures()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ncii-hub-transparency.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(figures):
        writer.writerow(row)
    return response


def _csv_rows(figures: Figures) -> list[list[str]]:
    rows = []
    for quarter in figures.quarters:
        row = [quarter.label]
        for name in CSV_COLUMNS[1:]:
            cell = quarter.cells.get(name)
            if cell is None or figures.up_to is None:
                row.append("")
            elif cell.suppressed:
                row.append(f"fewer than {figures.min_count}" if name in COUNTS else "withheld")
            else:
                row.append(f"{cell.value:g}")
        rows.append(row)
    return rows


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's, API
    answers): the hub's icon from its static files."""
    return redirect(static("favicon.svg"))


def handler404(request: Any, exception: Exception | None = None) -> Any:
    if request.path.startswith(API_PREFIXES):
        return json_error("not_found", "No such resource.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def handler400(request: Any, exception: Exception) -> Any:
    if request.path.startswith(API_PREFIXES):
        return json_error("bad_request", "The request could not be read.", 400)
    return defaults.bad_request(request, exception)


def handler500(request: Any) -> Any:
    if request.path.startswith(API_PREFIXES):
        return json_error("server_error", "Internal error; it has been logged.", 500)
    return defaults.server_error(request)


@require_GET
@staff_login_required
def metrics(request: StaffRequest) -> HttpResponse:
    permission_require(request, VIEW_METRICS)
    if not request_scope(request).hub_wide:
        raise PermissionDenied
    metrics_now = metrics_get()
    context = {
        "metrics": metrics_now,
        "f": metrics_now.figures,
        "tables": _tables(metrics_now.figures),
        "agreement": _agreement(request),
    }
    return render(request, "hub/metrics.html", context)


AGREEMENT_GROUPS = {"overall": "Overall", "by_reason": "Reason", "by_moderator": "Moderator"}


def _agreement(request: StaffRequest) -> list[tuple[str, list[Agreement]]]:
    """Second-review agreement; per moderator only for senior moderators and admins."""
    figures = qa_agreement(per_moderator=may_see_moderator_agreement(request_scope(request).user))
    return [(AGREEMENT_GROUPS[key], rows) for key, rows in figures.items()]


def _columns(figure: dict[str, Any], *keys: str) -> list[tuple[Any, ...]]:
    """A figure's parallel lists as table rows: (label, figure[key] for each key)."""
    return list(zip(figure["labels"], *(figure[k] for k in keys), strict=True))


def _tables(f: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The charts' numbers as rows, for the tables under each chart."""
    reports = f["reports"]
    return {
        "hashes": _columns(f["hashes"], "protected", "added", "withdrawn"),
        "cases": _columns(f["cases"], "created"),
        "reports": [(s["label"], s["data"]) for s in reports["series"]],
        "outcomes": _columns(f["outcomes"], "confirmed", "dismissed"),
        "decision_times": _columns(f["decision_times"], "p50", "p90"),
        "backlog": _columns(f["backlog"], "pending", "escalated"),
        "reveals": _columns(f["reveals"], "values"),
    }
