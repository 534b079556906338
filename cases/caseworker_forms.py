"""Input parsing for the caseworkers' pages. No rules here: services decide."""

from typing import Any

from django import forms

from cases.models import NOTE_MAX_CHARS
from ncii_site.http import MAX_DB_ID

REASON_MAX_CHARS = 4000


class CaseSearchForm(forms.Form):
    number = forms.CharField(
        label="Case number",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        error_messages={"required": "Type the case number the person gave you."},
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="New note",
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the note first."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note-%s")
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)",
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason for the withdrawal."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "withdraw-%s")
        super().__init__(*args, **kwargs)


class HashWithdrawForm(ReasonForm):
    bank_hash = forms.IntegerField(min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label="Reason (required)",
        max_length=REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason for the erasure (say, the person's request and its date)."},
    )
    confirm = forms.BooleanField(
        label="I understand this erases the case's links, notes, number and PIN for good.",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "erase-%s")
        super().__init__(*args, **kwargs)
