"""Input parsing for the dashboard pages. No rules here: services decide."""

from django import forms
from django.http import QueryDict

from moderation.models import NoteVisibility, ReviewState
from moderation.selectors import QueueFilters, reason_codes
from moderation.services import BULK_DECISIONS, DECISIONS, NOTE_MAX_LENGTH
from ncii_site.http import posted_id
from partners.models import Partner

AGE_CHOICES = [
    ("", "Any age"),
    ("1h", "Opened in the last hour"),
    ("24h", "Opened in the last 24 hours"),
    ("7d", "Opened in the last 7 days"),
    ("older", "Older than 7 days"),
]


PARTNER_COUNT_CHOICES = [("", "Any number of partners"), *((n, f"{n} or more partners") for n in (2, 3, 5))]
MISMATCH_CHOICES = [("", "Any"), ("yes", "Hash mismatch only"), ("no", "No hash mismatch")]
SORT_CHOICES = [
    ("priority", "Priority (as review next)"),
    ("oldest", "Oldest first"),
    ("newest", "Newest first"),
    ("partners", "Most partners first"),
    ("deadline", "Nearest deadline first"),
]


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "All states"), *ReviewState.choices], required=False)
    partner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False)
    age = forms.ChoiceField(choices=AGE_CHOICES, required=False)
    min_partners = forms.TypedChoiceField(
        label="Reported by", choices=PARTNER_COUNT_CHOICES, coerce=int, empty_value=None, required=False
    )
    mismatch = forms.ChoiceField(label="Hash check", choices=MISMATCH_CHOICES, required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

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
        return QueueFilters(
            state=state,
            partner_id=data.get("partner"),
            age=data.get("age", ""),
            min_partners=data.get("min_partners"),
            mismatch=data.get("mismatch", ""),
            sort=data.get("sort") or "priority",
        )


def reason_choices() -> list[tuple[str, str]]:
    """The configured reasons; the first nine are numbered for their keyboard shortcut."""
    numbered = [(code, f"{n} · {label}" if n <= 9 else label) for n, (code, label) in enumerate(reason_codes(), 1)]
    return [("", "Choose a reason…"), *numbered]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(name, name.title()) for name in DECISIONS])
    # Required by review_decide, which says so; the attribute lets browsers say it first.
    reason_code = forms.ChoiceField(
        label="Reason (required)",
        required=False,
        choices=reason_choices,
        widget=forms.Select(attrs={"required": True}),
    )
    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_visibility = forms.ChoiceField(
        label="Who may read the note",
        required=False,
        choices=NoteVisibility.choices,
        initial=NoteVisibility.INTERNAL,
        widget=forms.RadioSelect,
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    and_next = forms.BooleanField(label="Then review the next item", required=False, initial=True)

    def first_error(self) -> str:
        """What to tell the moderator about an invalid form."""
        messages = [*self.errors.get("reason_code", []), *self.errors.get("note", [])]
        return " ".join(messages) or "The decision form was incomplete; reload the page and try again."


def selection_parse(values: list[str]) -> dict[int, int | None]:
    """Chosen items as "id" (from the queue) or "id:version" (as the bulk page saw them);
    ValueError for anything else."""
    chosen: dict[int, int | None] = {}
    for value in values:
        raw_id, _, version = value.partition(":")
        item_id = posted_id(raw_id)
        if item_id is None:
            raise ValueError(f"Not an item: {raw_id!r}")
        chosen[item_id] = int(version) if version else None
    return chosen


class BulkDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(name, name.title()) for name in BULK_DECISIONS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the decision."},
    )
    reason_code = DecisionForm.base_fields["reason_code"]
    note = DecisionForm.base_fields["note"]
    note_visibility = DecisionForm.base_fields["note_visibility"]
    confirm_count = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def first_error(self) -> str:
        fields = ("decision", "reason_code", "note")
        return " ".join(str(m) for name in fields for m in self.errors.get(name, [])) or "The form was incomplete."
