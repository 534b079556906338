"""The helpline caseworkers' pages: find a case by its number; the case page with its hashes,
their matches and review, notes and withdrawals; and the disputed-hashes list. Every render
of a case page is an audit event. Views parse input, call selectors and services, and pick
the page or fragment to render."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from audit.services import Actor
from cases.caseworker_forms import CaseSearchForm, EraseForm, HashWithdrawForm, NoteForm, ReasonForm
from cases.hidden_decisions import case_hash_rows_hide, hidden_decision_item_ids
from cases.models import Case, CaseHash
from cases.selectors import (
    CASE_AUDIT_LIMIT,
    case_audit_trail,
    case_detail_get,
    case_find_by_number,
    case_get,
    case_notes,
    disputed_hash_list,
)
from cases.services import (
    case_erase,
    case_hash_withdraw,
    case_note_add,
    case_view_record,
    case_withdraw,
)
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, post_action, staff_login_required
from ncii_site.roles import WORK_CASE

SEARCH_TEMPLATE = "cases/case_search.html"
CASE_TEMPLATE = "cases/case_detail.html"
DISPUTED_TEMPLATE = "cases/disputed.html"
NOT_FOUND = "No case has that number. Numbers must match exactly; check it with the person."


def _user(request: StaffRequest) -> User:
    assert request.user.is_authenticated  # staff_login_required ran
    return request.user


# --- finding a case -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_login_required
def case_search(request: StaffRequest) -> HttpResponse:
    """POST, not GET: a case number is as good as half a password, so it stays out of URLs,
    browser history and access logs."""
    permission_require(request, WORK_CASE)
    form = CaseSearchForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        case = case_find_by_number(raw=form.cleaned_data["number"])
        if case is not None:
            return redirect("casework:case", case_id=case.pk)
        form.add_error("number", NOT_FOUND)
    return render(request, SEARCH_TEMPLATE, {"form": form})


# --- the case page ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_login_required
def case_detail(request: StaffRequest, case_id: int) -> HttpResponse:
    permission_require(request, WORK_CASE)
    case = case_get(case_id=case_id)
    if case is None:
        raise Http404("No such case.")
    if request.method == "GET":
        return _case_page(request, case)
    return post_action(request, case, CASE_ACTIONS)


def _case_page(request: StaffRequest, case: Case, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The whole page; showing it to staff is recorded as a view of the case."""
    case_view_record(case_id=case.pk, viewer=_user(request))
    detail = case_detail_get(case=case)
    hidden = hidden_decision_item_ids(user=_user(request), rows=detail.hashes)
    context = {
        "case": case,
        "hashes": case_hash_rows_hide(detail.hashes, hidden=hidden),
        "hidden_items": hidden,
        "review_items": detail.review_items,
        "notes": detail.notes,
        "audit_trail": detail.audit_trail,
        "audit_limit": CASE_AUDIT_LIMIT,
        "note_form": NoteForm(),
        "withdraw_form": ReasonForm(),
        "erase_form": EraseForm(),
    }
    return render(request, CASE_TEMPLATE, context | forms, status=status)


def _case_url(case: Case, anchor: str = "") -> str:
    return reverse("casework:case", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def _note_add(request: StaffRequest, case: Case) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case_id=case.pk, author=_user(request), body=form.cleaned_data["body"])
        except DomainError as exc:
            form.add_error("body", str(exc))
    if request.htmx:
        return _notes_fragments(request, case, form if form.errors else NoteForm())
    if form.errors:
        return _case_page(request, case, status=400, note_form=form)
    messages.success(request, "Note added.")
    return redirect(_case_url(case, "notes"))


def _notes_fragments(request: StaffRequest, case: Case, form: NoteForm) -> HttpResponse:
    """The notes section the form targets, and the audit trail swapped out of band."""
    context = {
        "case": case,
        "notes": case_notes(case=case),
        "audit_trail": case_audit_trail(case=case),
        "audit_limit": CASE_AUDIT_LIMIT,
        "note_form": form,
        "notice": "" if form.errors else "Note added.",
        "oob": True,
    }
    body = "".join(render_to_string(f"{CASE_TEMPLATE}#{name}", context, request) for name in ("notes", "audit-trail"))
    return HttpResponse(body, status=400 if form.errors else 200)


def _case_withdraw(request: StaffRequest, case: Case) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, withdraw_form=form)
    if case.status != Case.Status.ACTIVE:
        return _case_page(request, case, status=409, error="This case is already withdrawn; nothing was changed.")
    case_withdraw(case_id=case.pk, actor=Actor.user(_user(request)), reason=form.cleaned_data["reason"])
    messages.success(request, "The case is withdrawn. Partners will see its hashes as withdrawn.")
    return redirect(_case_url(case))


def _hash_withdraw(request: StaffRequest, case: Case) -> HttpResponse:
    form = HashWithdrawForm(request.POST)
    if not form.is_valid():
        error = (
            " ".join(str(m) for m in form.errors.get("reason", []))
            or "The form was incomplete; reload the page and try again."
        )
        return _case_page(request, case, status=400, error=error)
    data, actor = form.cleaned_data, Actor.user(_user(request))
    try:
        case_hash_withdraw(case_id=case.pk, bank_hash_id=data["bank_hash"], actor=actor, reason=data["reason"])
    except CaseHash.DoesNotExist:
        raise Http404("That hash is not part of this case.") from None
    except DomainError as exc:
        return _case_page(request, case, status=exc.status, error=str(exc))
    messages.success(request, "The hash is withdrawn from this case.")
    return redirect(_case_url(case, f"hash-{data['bank_hash']}"))


def _case_erase(request: StaffRequest, case: Case) -> HttpResponse:
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, status=400, erase_form=form)
    try:
        case_erase(case_id=case.pk, actor=Actor.user(_user(request)), reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _case_page(request, case, status=exc.status, error=str(exc))
    messages.success(request, "The case's data is erased. Its audit trail keeps what was done, not what was erased.")
    return redirect(_case_url(case))


CASE_ACTIONS: dict[str, Callable[[StaffRequest, Case], HttpResponse]] = {
    "erase": _case_erase,
    "note": _note_add,
    "withdraw": _case_withdraw,
    "withdraw-hash": _hash_withdraw,
}


# --- disputed hashes ----------------------------------------------------------------------


@require_GET
@staff_login_required
def disputed(request: StaffRequest) -> HttpResponse:
    """Hashes partners say are not what the case says; withdrawing one happens on its case page."""
    permission_require(request, WORK_CASE)
    pages = Paginator(disputed_hash_list(), settings.NCII_CASEWORK_PAGE_SIZE)
    context = {
        "page": pages.get_page(request.GET.get("page")),
        "min_not_blocked": settings.NCII_DISPUTED_MIN_NOT_BLOCKED,
    }
    wants_fragment = bool(request.htmx) and not request.htmx.history_restore_request
    response = render(request, DISPUTED_TEMPLATE + ("#disputed-list" if wants_fragment else ""), context)
    patch_vary_headers(response, ["HX-Request"])  # the same URL answers a page or a fragment
    return response
