"""Forms of the victim pages: case number + PIN."""

import re

from django import forms

from cases.codes import PIN_DIGITS, case_number_normalise

_NUMBER = re.compile(r"NC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


class CaseAccessForm(forms.Form):
    number = forms.CharField(label="Case number", max_length=40)
    pin = forms.CharField(
        label="PIN", max_length=40,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_number(self) -> str:
        number = case_number_normalise(self.cleaned_data["number"])
        if not _NUMBER.fullmatch(number):
            raise forms.ValidationError("A case number looks like NC-XXXX-XXXX-XXXX (12 letters and digits).")
        return number

    def clean_pin(self) -> str:
        pin = "".join(self.cleaned_data["pin"].split())
        if not (pin.isascii() and pin.isdigit() and len(pin) == PIN_DIGITS):
            raise forms.ValidationError(f"The PIN is {PIN_DIGITS} digits.")
        return pin


class CaseWithdrawForm(CaseAccessForm):
    confirm = forms.BooleanField(required=False)
