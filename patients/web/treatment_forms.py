"""Forms of the treatment pages: starting a course from a regimen, and the events that change a
running course's plan. They check what was typed; the treatment services check the course and
plan it (patients.services.regimens, patients.services.treatment)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from patients import models as m
from patients.api.serializers.configuration import EARLIEST_PLAN_DATE, LATEST_PLAN_DATE
from patients.clinical import regimens as engine
from patients.models.checks import check_not_before_birth
from patients.models.treatment import CourseEventKind, PlannedDoseStatus

#: The routes and units a running course can change to: those the regimen engine plans with.
ROUTE_CHOICES = [
    (str(engine.Route.INTRAMUSCULAR), _("Intramuscular")),
    (str(engine.Route.SUBCUTANEOUS), _("Subcutaneous")),
    (str(engine.Route.ORAL), _("Oral")),
]
UNIT_CHOICES = [
    (str(engine.DoseUnit.MG), _("mg")),
    (str(engine.DoseUnit.MICROGRAM), _("microgram")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _plan_date(label, **options) -> forms.DateField:
    # Bounded as the REST API bounds a plan's dates, so calendar arithmetic from them (months of
    # doses after the day) never leaves the calendar.
    return forms.DateField(
        label=label,
        widget=DateInput(
            {"min": f"{EARLIEST_PLAN_DATE:%Y-%m-%d}", "max": f"{LATEST_PLAN_DATE:%Y-%m-%d}"}
        ),
        validators=[_within_calendar],
        **options,
    )


def _within_calendar(value: datetime.date) -> None:
    if not EARLIEST_PLAN_DATE <= value <= LATEST_PLAN_DATE:
        raise ValidationError(
            _("Give a date from %(earliest)s to %(latest)s."),
            params={"earliest": EARLIEST_PLAN_DATE, "latest": LATEST_PLAN_DATE},
        )


class ServiceErrorsMixin:
    """Shows a service's ValidationError beside the field it names, or above the form."""

    #: The service's name of a field where the form calls it something else.
    service_fields: dict[str, str] = {}

    def apply_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                field = self.service_fields.get(field, field)
                self.add_error(field if field in self.fields else None, messages)  # type: ignore[attr-defined]
        else:
            self.add_error(None, error)  # type: ignore[attr-defined]


# --- starting a course ----------------------------------------------------------------------------


def _offer(field: forms.ModelChoiceField, rows: list) -> None:
    """Choices from rows already read; the field's queryset still decides what is accepted."""
    field.choices = [("", field.empty_label)] + [
        (row.pk, field.label_from_instance(row)) for row in rows
    ]


class RegimenChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: m.Regimen) -> str:
        return _("%(name)s (version %(version)s)") % {"name": obj.name, "version": obj.version}


def newest_versions(regimens: Iterable[m.Regimen]) -> list[m.Regimen]:
    """The first row of each key, which services.regimens.regimens_for orders newest first."""
    offered: dict[str, m.Regimen] = {}
    for regimen in regimens:
        offered.setdefault(regimen.key, regimen)
    return sorted(offered.values(), key=lambda regimen: regimen.name)


class StartCourseForm(ServiceErrorsMixin, forms.Form):
    regimen = RegimenChoiceField(
        label=_("Regimen"),
        queryset=m.Regimen.objects.none(),
        empty_label=_("Choose a regimen"),
        help_text=_(
            "The regimens of this clinic and those shipped with the tracker, newest version of "
            "each. Dose and route are the regimen's; change them on the course page once it runs."
        ),
    )
    started_on = _plan_date(_("First dose on"))
    indication = forms.CharField(label=_("Indication"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        infant: m.Infant,
        regimens: QuerySet[m.Regimen],
        running: bool,
        starting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.infant = infant
        self.starting = starting
        offered = newest_versions(regimens)
        self.fields["regimen"].queryset = regimens.filter(pk__in=[r.pk for r in offered])
        _offer(self.fields["regimen"], offered)
        if running:
            # Asked only when starting: a preview is harmless, a second running plan is not.
            self.fields["alongside"] = forms.BooleanField(
                label=_("Start this course alongside the active course"), required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            # The check the course makes when it is saved, so a preview never shows a calendar
            # that could not be started.
            check_not_before_birth(self.infant, data.get("started_on"), "started_on")
        except ValidationError as error:
            self.add_error(None, error)
        if self.starting and "alongside" in self.fields and not data.get("alongside"):
            self.add_error(
                "alongside", _("Confirm that both courses run, or stop the active course first.")
            )
        return data


# --- events of a running course -------------------------------------------------------------------


class CourseEventForm(ServiceErrorsMixin, forms.Form):
    """One kind of course event for ``course``; ``event()`` gives the arguments of
    record_course_event. Each kind has its own prefix, so the four forms share one page."""

    kind: str

    def __init__(self, *args: Any, course: m.TreatmentCourse, today: datetime.date, **kwargs):
        super().__init__(*args, prefix=self.kind, **kwargs)
        if "on" in self.fields:
            self.fields["on"].initial = today

    def event(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"kind": self.kind, "on": data["on"], "reason": data["reason"]}


def _reason(label, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=300,
        required=required,
        help_text=help_text,
        widget=forms.Textarea({"rows": 2}),
    )


class PlannedDoseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: m.PlannedDose) -> str:
        return _("Dose %(number)s on %(date)s (%(phase)s)") % {
            "number": obj.number,
            "date": date_format(obj.due_on, "SHORT_DATE_FORMAT"),
            "phase": obj.phase_name,
        }


def doses_that_can_be_missed(
    course: m.TreatmentCourse, *, today: datetime.date
) -> QuerySet[m.PlannedDose]:
    """Current doses due by today that were neither given nor already recorded as missed.

    A dose the reminder loop marked missed is still offered: recording the miss is what re-plans the
    course with a make-up dose (the worklist's "missed doses" wait for exactly this).
    """
    recorded = m.CourseEvent.objects.active().filter(
        course=course, kind=CourseEventKind.MISSED, on=OuterRef("due_on")
    )
    return (
        m.PlannedDose.objects.active()
        .filter(
            course=course,
            status__in=(PlannedDoseStatus.PLANNED, PlannedDoseStatus.MISSED),
            due_on__lte=today,
        )
        .exclude(Exists(recorded))
        .order_by("-due_on", "number")
    )


class MissedDoseForm(CourseEventForm):
    kind = CourseEventKind.MISSED
    # The service dates the event by the missed dose's day.
    service_fields = {"on": "dose"}

    dose = PlannedDoseChoiceField(
        label=_("Dose that was missed"),
        queryset=m.PlannedDose.objects.none(),
        empty_label=_("Choose the dose"),
    )
    make_up_on = _plan_date(
        _("Made up on"),
        required=False,
        help_text=_(
            "Leave empty to make it up the next day (the next open day for a clinic dose)."
        ),
    )
    reason = _reason(_("Why it was missed"), required=False)

    def __init__(self, *args: Any, course: m.TreatmentCourse, today: datetime.date, **kwargs):
        super().__init__(*args, course=course, today=today, **kwargs)
        field = self.fields["dose"]
        field.queryset = doses_that_can_be_missed(course, today=today)
        doses = list(field.queryset)
        _offer(field, doses)
        self.has_doses = bool(doses)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        dose, make_up_on = data.get("dose"), data.get("make_up_on")
        if dose is not None and make_up_on is not None and make_up_on <= dose.due_on:
            self.add_error("make_up_on", _("A missed dose is made up after the day it was missed."))
        return data

    def event(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "on": data["dose"].due_on,
            "make_up_on": data["make_up_on"],
            "reason": data["reason"],
        }


class AdvanceForm(CourseEventForm):
    kind = CourseEventKind.ADVANCE

    on = _plan_date(_("Advance on"))
    reason = _reason(_("Reason"), help_text=_("For example: no further improvement."))


class ChangeForm(CourseEventForm):
    kind = CourseEventKind.CHANGE

    on = _plan_date(_("From"))
    dose = forms.DecimalField(
        label=_("New dose"),
        required=False,
        max_digits=8,
        decimal_places=3,
        min_value=Decimal("0.001"),
        widget=forms.NumberInput({"step": "0.001", "min": "0.001", "inputmode": "decimal"}),
        help_text=_("Leave empty to keep the dose."),
    )
    dose_unit = forms.ChoiceField(
        label=_("New unit"),
        required=False,
        choices=[("", _("Keep the unit")), *UNIT_CHOICES],
    )
    route = forms.ChoiceField(
        label=_("New route"),
        required=False,
        choices=[("", _("Keep the route")), *ROUTE_CHOICES],
    )
    reason = _reason(_("Reason"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.has_error("dose"):
            return data
        if data.get("dose") is None and data.get("dose_unit"):
            # A unit alone would turn 1 mg into 1 microgram: the dose is said again in its unit.
            self.add_error("dose", _("Give the dose in the new unit."))
        elif data.get("dose") is None and not data.get("route"):
            self.add_error(None, _("Give a new dose, unit or route."))
        return data

    def event(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().event(),
            "dose": data["dose"],
            "dose_unit": data["dose_unit"],
            "route": data["route"],
        }


class StopForm(CourseEventForm):
    kind = CourseEventKind.STOP

    on = _plan_date(_("Stop on"), help_text=_("No dose is given on this day or after it."))
    reason = _reason(_("Reason for stopping"), required=True)


EVENT_FORMS: dict[str, type[CourseEventForm]] = {
    form.kind: form for form in (MissedDoseForm, AdvanceForm, ChangeForm, StopForm)
}
