"""Forms of the victim pages (and the assisted case page): the age gate and case number + PIN."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.codes import PIN_DIGITS, case_number_normalise

ADULT, MINOR = "adult", "minor"
_NUMBER = re.compile(r"NC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


class CaseGateForm(forms.Form):
    """Who may create a case: an adult, for images that show them. ``assisted`` words the
    questions for a caseworker asking them of the person who is present."""

    age = forms.ChoiceField(choices=[(ADULT, _("18 or older")), (MINOR, _("Under 18"))], widget=forms.RadioSelect)
    in_images = forms.BooleanField(required=False)

    def __init__(self, *args: Any, assisted: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = _("How old is the person?") if assisted else _("How old are you?")
        self.fields["age"].label = question
        # Says which question is unanswered (Django's "This field is required." does not).
        unanswered = _("Answer the question “%(question)s”: choose 18 or older, or under 18.") % {"question": question}
        self.fields["age"].error_messages |= {"required": unanswered, "invalid_choice": unanswered}
        self.fields["in_images"].label = (
            _("The person confirms that they are in the images and videos")
            if assisted
            else _("I am in the images and videos I want to protect")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("age") == ADULT and not data.get("in_images"):
            self.add_error(
                "in_images",
                _(
                    "This service protects images of the person who creates the case. "
                    "If the images show someone else, they (or a helpline with them) can create a case."
                ),
            )
        return data

    @property
    def is_minor(self) -> bool:
        return self.cleaned_data.get("age") == MINOR


class CaseAccessForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=40)
    pin = forms.CharField(
        label=_("PIN"),
        max_length=40,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_number(self) -> str:
        number = case_number_normalise(self.cleaned_data["number"])
        if not _NUMBER.fullmatch(number):
            raise forms.ValidationError(_("A case number looks like NC-XXXX-XXXX-XXXX (12 letters and digits)."))
        return number

    def clean_pin(self) -> str:
        pin = "".join(self.cleaned_data["pin"].split())
        if not (pin.isascii() and pin.isdigit() and len(pin) == PIN_DIGITS):
            raise forms.ValidationError(_("The PIN is %(digits)d digits.") % {"digits": PIN_DIGITS})
        return pin


class CaseWithdrawForm(CaseAccessForm):
    confirm = forms.BooleanField(required=False)
