"""Input parsing for a partner's webhooks page and its threshold. No rules here: services decide."""

from django import forms
from django.conf import settings

from ncii_site.http import MAX_DB_ID
from partners.forms import ReasonField
from partners.webhook_models import WebhookEvent


class EndpointCreateForm(forms.Form):
    url = forms.URLField(label="Endpoint address (https://)", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label="Events", choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


class EndpointForm(forms.Form):
    endpoint = forms.IntegerField(min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)


class EndpointDisableForm(EndpointForm):
    reason = ReasonField()


class DeliveryForm(forms.Form):
    delivery = forms.IntegerField(min_value=1, max_value=MAX_DB_ID, widget=forms.HiddenInput)


class ThresholdForm(forms.Form):
    max_distance = forms.IntegerField(
        label="Maximum PDQ distance",
        min_value=0,
        max_value=settings.NCII_PDQ_MATCH_DISTANCE,
        help_text="The partner's lookups and reports match bank hashes at most this far (0–31).",
    )


class VideoPdqForm(forms.Form):
    receives_video_pdq = forms.BooleanField(
        label="Exchange VideoPDQ (vPDQ) records",
        required=False,
        help_text="Only for partners whose client reads VideoPDQ; Meta's stock StopNCII client does not.",
    )
