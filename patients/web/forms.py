"""Forms of the pages. They validate what was typed; the services validate the record and save."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from patients.models.people import Language

# The zones a guardian of this clinic is likely to pick come first; every other zone follows.
_COMMON_ZONES = ("Europe/Istanbul", "Europe/Berlin", "Europe/London", "Europe/Amsterdam")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    rest = sorted(zoneinfo.available_timezones() - set(_COMMON_ZONES))
    return [(zone, zone.replace("_", " ")) for zone in (*_COMMON_ZONES, *rest)]


class ReminderPreferencesForm(forms.Form):
    """What a guardian may change about their reminders (see PREFERENCE_FIELDS)."""

    language = forms.ChoiceField(label=_("Language of the reminders"), choices=Language.choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    sms_enabled = forms.BooleanField(label=_("Send reminders by SMS"), required=False)
    email_enabled = forms.BooleanField(label=_("Send reminders by e-mail"), required=False)
    calendar_enabled = forms.BooleanField(
        label=_("Calendar subscription"),
        required=False,
        help_text=_("Switching it off stops your calendar link at once."),
    )
    evening_reminder_at = forms.TimeField(
        label=_("Evening-before reminder at"),
        required=False,
        help_text=_("Leave empty for no reminder the evening before."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    morning_reminder_at = forms.TimeField(
        label=_("Morning-of reminder at"),
        required=False,
        help_text=_("Leave empty for no reminder on the morning of the day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_start = forms.TimeField(
        label=_("Quiet hours start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        help_text=_("No message arrives between these times; one due then waits until the end."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None) and not self.has_error("quiet_hours_start"):
            # One end without the other has no meaning: which hours would be quiet?
            field = "quiet_hours_end" if end is None else "quiet_hours_start"
            self.add_error(field, _("Give both the start and the end of the quiet hours."))
        if start is not None and start == end:
            self.add_error("quiet_hours_end", _("The quiet hours cannot start and end together."))
        return data

    def apply_errors(self, error: ValidationError) -> None:
        """Show the service's validation errors beside the fields they name."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error)
