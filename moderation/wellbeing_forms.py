"""Input parsing for the wellbeing settings page. The limits come from the admins' settings;
the service checks them again."""

from django import forms

from moderation.wellbeing_selectors import Wellbeing, wellbeing_limits

LABELS = {
    "blur_radius": ("Blur strength", "How strongly previews are blurred (higher hides more)."),
    "reblur_seconds": ("Blur again after (seconds)", "A revealed image blurs again after this long."),
    "break_after_reveals": ("Suggest a break after (reveals)", "Counted within this sign-in."),
    "break_after_minutes": ("Suggest a break after (minutes)", "Of this sign-in, or since your last break."),
}


class WellbeingForm(forms.Form):
    blur_off = forms.BooleanField(
        label="Show previews unblurred (in greyscale; each view is recorded as a reveal)", required=False
    )

    def __init__(self, data: object = None, *, current: Wellbeing) -> None:
        initial = {name: getattr(current, name) for name in (*LABELS, "blur_off")}
        super().__init__(data, initial=initial)  # type: ignore[arg-type]
        for name, (low, _default, high) in wellbeing_limits().items():
            label, help_text = LABELS[name]
            self.fields[name] = forms.IntegerField(
                label=label,
                help_text=f"{help_text} Between {low} and {high}.",
                min_value=low,
                max_value=high,
            )
        self.order_fields([*LABELS, "blur_off"])
        if not current.blur_off_allowed:
            del self.fields["blur_off"]
