from django import forms


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or (when verifying) a recovery code."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if not code.isalnum():
            raise forms.ValidationError("Type the code with letters and digits only.")
        return code
