"""The metrics page: hub-wide figures drawn as charts (Chart.js, from static/js/metrics.js)
with the same numbers in tables. For admins and senior moderators; staff tied to one partner
are refused, since the figures cover every partner."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from moderation.metrics import metrics_get
from moderation.selectors import staff_partner_id
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import VIEW_METRICS


@require_GET
@staff_login_required
def metrics(request: StaffRequest) -> HttpResponse:
    permission_require(request, VIEW_METRICS)
    if staff_partner_id(request.user) is not None:
        raise PermissionDenied
    metrics_now = metrics_get()
    context = {"metrics": metrics_now, "f": metrics_now.figures, "tables": _tables(metrics_now.figures)}
    return render(request, "moderation/metrics.html", context)


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
