"""Input parsing for the partner administration pages. No rules here: services decide."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from partners.models import Partner, PartnerKey

REASON_MAX_CHARS = 2000
NAME_RULE = RegexValidator(
    r"^[a-z0-9][a-z0-9-]*$", "Lower-case letters, digits and hyphens, starting with a letter or digit."
)


class PartnerCreateForm(forms.Form):
    name = forms.CharField(
        label="Short name",
        max_length=100,
        validators=[NAME_RULE],
        help_text="Fixed: it names the partner in the audit trail and on hashes it submits.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(label="Display name", max_length=150, required=False)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if Partner.objects.filter(name=name).exists():
            raise forms.ValidationError("A partner with this short name already exists.")
        return name


class KeyIssueForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of key", choices=PartnerKey.Kind.choices)


def _overlap_choices() -> list[tuple[int, str]]:
    default = settings.NCII_KEY_ROTATION_OVERLAP_SECONDS
    choices = {default: f"{_duration(default)} (default)", 3600: "1 hour", 0: "No overlap: the old key stops now"}
    return list(choices.items())


def _duration(seconds: int) -> str:
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}"
    return f"{seconds} seconds"


class KeyRotateForm(forms.Form):
    key = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    overlap = forms.TypedChoiceField(label="Keep the old key working for", coerce=int, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["overlap"]).choices = _overlap_choices()
        self.fields["overlap"].initial = settings.NCII_KEY_ROTATION_OVERLAP_SECONDS


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label="Reason (required)",
            max_length=REASON_MAX_CHARS,
            widget=forms.Textarea(attrs={"rows": 2}),
            error_messages={"required": "Give a reason: it goes into the audit trail."},
            **kwargs,
        )


class KeyRevokeForm(forms.Form):
    key = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = ReasonField()


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Partner.Status.choices, widget=forms.HiddenInput)
    reason = ReasonField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "status-%s")
        super().__init__(*args, **kwargs)
