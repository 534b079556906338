"""The blind second review's pages: the QA queue, and one review's page, which shows the
item's facts without its decision (no outcome, reason, note or audit trail) to the second
moderator, and both decisions to the senior moderator who settles a disagreement."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from moderation.forms import reason_choices
from moderation.models import QaReview, QaState
from moderation.qa_selectors import qa_disputed, qa_get_for, qa_waiting
from moderation.qa_services import qa_blind_open, qa_resolve, qa_second_decide
from moderation.scope import request_scope
from moderation.selectors import item_reports, reason_label, reports_summary
from moderation.services import NOTE_MAX_LENGTH
from moderation.views import request_user
from moderation.wellbeing_selectors import wellbeing_get
from ncii_site.errors import DomainError
from ncii_site.http import StaffRequest, permission_require, staff_login_required
from ncii_site.roles import REVIEW, REVIEW_ESCALATED


class QaDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("dismiss", "Dismiss")])
    reason_code = forms.ChoiceField(label="Reason (required)", choices=reason_choices)
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


@require_GET
@staff_login_required
def qa_queue(request: StaffRequest) -> HttpResponse:
    permission_require(request, REVIEW)
    scope = request_scope(request)
    senior = request.user.has_perm(REVIEW_ESCALATED)
    context = {"waiting": qa_waiting(scope=scope)[:200], "disputed": qa_disputed(scope=scope)[:200] if senior else None}
    return render(request, "moderation/qa_queue.html", context)


@require_http_methods(["GET", "POST"])
@staff_login_required
def qa_item(request: StaffRequest, qa_id: int) -> HttpResponse:
    permission_require(request, REVIEW)
    review = qa_get_for(scope=request_scope(request), qa_id=qa_id)
    if review is None:  # absent, not yours to see, or your own decision: the same answer
        raise Http404("No such review.")
    form = QaDecisionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _qa_page(request, review, form, error="Choose a decision and a reason.", status=400)
        try:
            _qa_decide(request, review, form.cleaned_data)
        except DomainError as exc:  # refused: nothing was written
            return _qa_page(request, review, form, error=str(exc), status=exc.status)
        return redirect("moderation:qa")
    qa_blind_open(moderator=request_user(request), qa_id=review.pk)
    return _qa_page(request, review, form)


def _qa_decide(request: StaffRequest, review: QaReview, data: dict[str, str]) -> None:
    user = request_user(request)
    decision, code = data["decision"], data["reason_code"]
    if review.state == QaState.DISPUTED:
        qa_resolve(moderator=user, qa_id=review.pk, decision=decision, reason_code=code, note=data["note"])
        messages.success(request, f"Review {review.pk} settled; your decision stands.")
    else:
        done = qa_second_decide(moderator=user, qa_id=review.pk, decision=decision, reason_code=code, note=data["note"])
        messages.success(request, f"Second review recorded: {done.get_state_display().lower()}.")


def _qa_page(
    request: StaffRequest, review: QaReview, form: QaDecisionForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    scope = request_scope(request)
    reports = item_reports(scope=scope, item=review.item)
    blind = review.state == QaState.WAITING
    context = {
        "review": review,
        "item": review.item,
        "bank_hash": review.item.bank_hash,
        "reports": reports,
        "summary": reports_summary(reports),
        "blind": blind,
        "first_label": "" if blind else reason_label(review.first_code),
        "second_label": "" if blind else reason_label(review.second_code),
        "form": form,
        "error": error,
        "reblur_seconds": wellbeing_get(scope.user).reblur_seconds,
    }
    return render(request, "moderation/qa_item.html", context, status=status)
