"""Input parsing for the dashboard pages. No rules here: services decide."""

from django import forms
from django.http import QueryDict

from matching.models import Partner
from moderation.models import ReviewState
from moderation.selectors import QueueFilters
from moderation.services import DECISIONS

AGE_CHOICES = [
    ("", "Any age"),
    ("1h", "Opened in the last hour"),
    ("24h", "Opened in the last 24 hours"),
    ("7d", "Opened in the last 7 days"),
    ("older", "Older than 7 days"),
]


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "All states"), *ReviewState.choices], required=False)
    partner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    age = forms.ChoiceField(choices=AGE_CHOICES, required=False)

    def __init__(self, params: QueryDict, *, partners: list[Partner], state: str | None) -> None:
        """``state`` fixes the list to one state (the escalations page) and drops the field;
        otherwise it defaults to pending."""
        data = params.copy()
        data.setdefault("state", ReviewState.PENDING)
        super().__init__(data)
        self.fixed_state = state
        if state is not None:
            del self.fields["state"]
        partner_field = self.fields["partner"]
        assert isinstance(partner_field, forms.ChoiceField)
        partner_field.choices = [("", "All partners"), *((p.pk, p.display_name) for p in partners)]

    def filters(self) -> QueueFilters:
        """The valid filters; an invalid one falls back to its default (and shows its error)."""
        self.is_valid()
        data = self.cleaned_data
        state = self.fixed_state or data.get("state", ReviewState.PENDING)
        return QueueFilters(state=state, partner_id=data.get("partner"), age=data.get("age", ""))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(name, name.title()) for name in DECISIONS])
    # Required by review_decide, which says so; the attribute lets browsers say it first.
    reason = forms.CharField(
        required=False, max_length=4000, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
