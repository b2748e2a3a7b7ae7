"""The forms of the "Log a visit" page, one per section, and the page's forms together.

They check what was typed (numbers, dates, choices, a row filled in halfway) and turn it into the
entry the visit-log service takes; the services check the record itself (plausibility for the age,
the units of the analyte, the norm table's items) and their errors are put back on these fields.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from patients import models as m
from patients.clinical import denver
from patients.clinical import labs as lab_catalogue
from patients.clinical.growth import LENGTH_HEIGHT_SWITCH_DAYS
from patients.models.development import DenverScore
from patients.models.imaging import (
    BodySite,
    Comparison,
    FindingType,
    Modality,
    Region,
    Severity,
    Side,
)
from patients.models.labs import Analyte, Comparator, LabUnit
from patients.models.treatment import (
    AdministrationLocation,
    AdverseEventSeverity,
    AdverseEventType,
    InjectionSite,
)
from patients.models.visits import LengthPosition, VisitType
from patients.services import visit_log as service

#: Rows for lab results; the script shows the first two and reveals the others one by one.
LAB_ROWS = 8
#: Rows for the findings of a study.
FINDING_ROWS = 4


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _decimal(label, *, max_digits: int, decimal_places: int, **kwargs) -> forms.DecimalField:
    # Localised, so "5,6" reads as 5.6 on the Turkish page; a text box rather than type=number,
    # which the browser would read in its own locale instead of the page's.
    return forms.DecimalField(
        label=label,
        max_digits=max_digits,
        decimal_places=decimal_places,
        required=False,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def _blank(label, choices: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [("", label), *choices]


class SectionForm(forms.Form):
    """A part of the page: it says whether anything was entered in it, and takes the service's
    errors back onto its fields."""

    #: The service's field names this form shows under another name, or as a whole (None).
    error_fields: Mapping[str, str | None] = {}

    def is_used(self) -> bool:
        """Whether anything was entered in this part (a default choice is not an entry)."""
        raise NotImplementedError

    def apply_errors(self, errors: Mapping[str, Sequence[str]]) -> None:
        for name, messages in errors.items():
            target = self.error_fields.get(name, name)
            # A field the section does not show (the visit of a measurement, say) goes to the
            # section as a whole; its message still says what is wrong.
            self.add_error(target if target in self.fields else None, list(messages))


# --- the visit ------------------------------------------------------------------------------


class VisitForm(SectionForm):
    visit_date = forms.DateField(label=_("Visit date"), widget=_date_widget())
    visit_type = forms.ChoiceField(
        label=_("Type of visit"), choices=VisitType.choices, initial=VisitType.OUTPATIENT
    )
    reason = forms.CharField(label=_("Reason for the visit"), max_length=300, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- growth ---------------------------------------------------------------------------------


class GrowthForm(SectionForm):
    weight_kg = _decimal(
        _("Weight (kg)"), max_digits=5, decimal_places=3, min_value=Decimal("0.001")
    )
    length_cm = _decimal(
        _("Length or height (cm)"), max_digits=4, decimal_places=1, min_value=Decimal("0.1")
    )
    length_position = forms.ChoiceField(
        label=_("Length measured"),
        choices=LengthPosition.choices,
        help_text=_("Lying down (recumbent) under 2 years, standing from 2 years."),
    )
    head_circumference_cm = _decimal(
        _("Head circumference (cm)"), max_digits=4, decimal_places=1, min_value=Decimal("0.1")
    )
    confirm_implausible = forms.BooleanField(
        label=_("I have checked these values: save them even if WHO finds them implausible."),
        required=False,
    )

    MEASURED = ("weight_kg", "length_cm", "head_circumference_cm")
    error_fields = {"measured_on": None, "visit": None}

    def is_used(self) -> bool:
        return any(self.cleaned_data.get(name) is not None for name in self.MEASURED)

    def entry(self) -> service.GrowthEntry:
        data = self.cleaned_data
        return service.GrowthEntry(
            weight_kg=data["weight_kg"],
            length_cm=data["length_cm"],
            head_circumference_cm=data["head_circumference_cm"],
            length_position=data["length_position"],
            confirm_implausible=data["confirm_implausible"],
        )


class GrowthPreviewForm(forms.Form):
    """What the growth preview is asked about, named as the page's fields are."""

    measured_on = forms.DateField()
    weight_kg = GrowthForm.base_fields["weight_kg"]
    length_cm = GrowthForm.base_fields["length_cm"]
    length_position = forms.ChoiceField(choices=LengthPosition.choices)
    head_circumference_cm = GrowthForm.base_fields["head_circumference_cm"]


def length_position_for(infant: m.Infant, on: datetime.date) -> str:
    """How the length is usually measured on ``on``: lying down before 2 years (WHO)."""
    recumbent = (on - infant.birth_date).days < LENGTH_HEIGHT_SWITCH_DAYS
    return LengthPosition.RECUMBENT if recumbent else LengthPosition.STANDING


# --- labs -----------------------------------------------------------------------------------


def accepted_units() -> dict[str, list[str]]:
    """The units the lab service accepts for each analyte, in the order the catalogue offers."""
    units = {}
    for code, _label in Analyte.choices:
        try:
            analyte = lab_catalogue.DEFAULT_CATALOGUE.analyte(code)
        except lab_catalogue.UnknownAnalyte:
            continue
        units[code] = [accepted.unit for accepted in analyte.units]
    return units


def _unit_choices() -> list[tuple[str, str]]:
    used = {unit for units in accepted_units().values() for unit in units}
    return [(value, label) for value, label in LabUnit.choices if value in used]


class LaboratoryForm(forms.Form):
    lab_name = forms.CharField(
        label=_("Laboratory"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"list": "laboratories", "autocomplete": "off"}),
        help_text=_("The ranges the clinic keeps for this laboratory then flag the results."),
    )


class LabRowForm(SectionForm):
    analyte = forms.ChoiceField(
        label=_("Analyte"), choices=_blank(_("Choose…"), Analyte.choices), required=False
    )
    comparator = forms.ChoiceField(label=_("Result is"), choices=Comparator.choices, required=False)
    value = _decimal(_("Value"), max_digits=12, decimal_places=4, min_value=Decimal(0))
    unit = forms.ChoiceField(
        label=_("Unit"), choices=_blank(_("Choose…"), _unit_choices()), required=False
    )

    error_fields = {"collected_on": None, "visit": None, "infant": None}

    def clean(self):
        data = super().clean()
        if self.is_used():
            if not data.get("analyte") and not self.has_error("analyte"):
                self.add_error("analyte", _("Choose what was measured."))
            if data.get("value") is None and not self.has_error("value"):
                self.add_error("value", _("Enter the value the laboratory reported."))
        return data

    def is_used(self) -> bool:
        data = self.cleaned_data
        return bool(
            data.get("analyte")
            or data.get("value") is not None
            or data.get("unit")
            or data.get("comparator")
        )

    def entry(self, *, lab_name: str) -> service.LabEntry:
        data = self.cleaned_data
        return service.LabEntry(
            analyte=data["analyte"],
            value=data["value"],
            unit=data["unit"],
            comparator=data["comparator"],
            lab_name=lab_name,
        )


LabFormSet = forms.formset_factory(
    LabRowForm, extra=LAB_ROWS, max_num=LAB_ROWS, absolute_max=LAB_ROWS, validate_max=True
)


# --- the dose given ---------------------------------------------------------------------------


def dose_label(dose: m.PlannedDose) -> str:
    return _("Dose %(number)s (%(phase)s), due %(due)s: %(dose)s %(unit)s %(route)s") % {
        "number": dose.number,
        "phase": dose.phase_name,
        "due": date_format(dose.due_on, "SHORT_DATE_FORMAT"),
        "dose": f"{dose.dose.normalize():f}",
        "unit": dose.get_dose_unit_display(),
        # As labelled: lower-casing in code would also lower "(IM)" in the Turkish label.
        "route": dose.get_route_display(),
    }


class DoseForm(SectionForm):
    planned_dose = forms.ChoiceField(
        label=_("Dose given at this visit"), widget=forms.RadioSelect, required=False
    )
    # Not required: the page shows it only when a dose is due; clean() asks for it with a dose.
    location = forms.ChoiceField(
        label=_("Given at"),
        choices=AdministrationLocation.choices,
        initial=AdministrationLocation.CLINIC,
        required=False,
    )
    site = forms.ChoiceField(
        label=_("Injection site"),
        choices=_blank(_("Not recorded"), InjectionSite.choices),
        required=False,
    )
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, required=False)

    # The treatment service refuses a dose as a whole ("Dose 12 is given; it cannot be given."):
    # the message belongs beside the choice of dose.
    error_fields = {
        NON_FIELD_ERRORS: "planned_dose",
        "given_on": "planned_dose",
        "course": "planned_dose",
    }

    def __init__(self, *args, doses: Sequence[m.PlannedDose], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.doses = {str(dose.pk): dose for dose in doses}
        self.fields["planned_dose"].choices = [
            ("", _("No dose given")),
            *((key, dose_label(dose)) for key, dose in self.doses.items()),
        ]

    def is_used(self) -> bool:
        return bool(self.cleaned_data.get("planned_dose"))

    def clean(self):
        data = super().clean()
        if self.is_used() and not data.get("location") and not self.has_error("location"):
            self.add_error("location", _("Say where the dose was given."))
        return data

    def entry(self) -> service.DoseEntry:
        data = self.cleaned_data
        return service.DoseEntry(
            planned_dose=self.doses[data["planned_dose"]],
            location=data["location"],
            site=data["site"],
            lot_number=data["lot_number"],
        )


# --- Denver II ------------------------------------------------------------------------------

_SCORE_LABELS = {
    DenverScore.PASS: _("Pass"),
    DenverScore.FAIL: _("Fail"),
    DenverScore.REFUSAL: _("Refused"),
    DenverScore.NO_OPPORTUNITY: _("No opportunity"),
}
SCORE_CHOICES = [
    ("", _("Not given")),
    *((score.value, _SCORE_LABELS[score]) for score in DenverScore),
]
_ITEM_FIELD = re.compile(r"item-([a-z_]+)-(\d{1,3})")


def item_field_name(code: str) -> str:
    sector, number = code.split(":")
    return f"item-{sector}-{number}"


class DenverForm(SectionForm):
    """One score per offered item.

    Items posted beyond those offered (offered for another date, say) are read too, so that what
    was entered stays on the page and an item the norm table lacks is refused by the development
    service instead of being dropped without a word.
    """

    notes = forms.CharField(
        label=_("Notes on the assessment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # The service names the items in its message ("Not an item of ...: 'language:99'"): its
    # errors belong to the section as a whole.
    error_fields = {"scores": None, "assessed_on": None, "visit": None}

    def __init__(
        self, *args, offer: service.DenverOffer, norms: denver.NormTable, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.norms = norms
        codes = [item.code for _sector, items in offer.sectors for item in items]
        if self.is_bound:
            for key in self.data:
                match = _ITEM_FIELD.fullmatch(key.removeprefix(f"{self.prefix}-"))
                if match and match.expand(r"\1:\2") not in codes:
                    codes.append(match.expand(r"\1:\2"))
        self.item_fields = {code: item_field_name(code) for code in codes}
        for code, name in self.item_fields.items():
            item = norms.items.get(code)
            self.fields[name] = forms.ChoiceField(
                label=item.label if item else code, choices=SCORE_CHOICES, required=False
            )

    def sectors(self) -> list[tuple[str, list[tuple[denver.NormItem | None, forms.BoundField]]]]:
        """The items sector by sector, in the order of the test form; items the norm table does
        not hold come last, under the sector "" (the service refuses them)."""
        groups: dict[str, list[tuple[denver.NormItem | None, forms.BoundField]]] = {
            sector.value: [] for sector in denver.DenverSector
        }
        for code, name in self.item_fields.items():
            item = self.norms.items.get(code)
            groups.setdefault(item.sector.value if item else "", []).append((item, self[name]))
        for rows in groups.values():
            rows.sort(key=lambda row: row[0].item_no if row[0] else 0)
        return [(sector, rows) for sector, rows in groups.items() if rows]

    def scores(self) -> dict[str, str]:
        return {
            code: self.cleaned_data[name]
            for code, name in self.item_fields.items()
            if self.cleaned_data.get(name)
        }

    def is_used(self) -> bool:
        return bool(self.scores())

    def entry(self) -> service.DenverEntry:
        return service.DenverEntry(scores=self.scores(), notes=self.cleaned_data["notes"])


# --- imaging --------------------------------------------------------------------------------


class ImagingForm(SectionForm):
    performed_on = forms.DateField(label=_("Study date"), required=False, widget=_date_widget())
    modality = forms.ChoiceField(
        label=_("Modality"), choices=Modality.choices, initial=Modality.MRI
    )
    body_site = forms.ChoiceField(
        label=_("Body site"), choices=BodySite.choices, initial=BodySite.BRAIN
    )
    impression = forms.CharField(
        label=_("Impression"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    comparison = forms.ChoiceField(
        label=_("Compared with the previous study"),
        choices=_blank(_("Not compared"), Comparison.choices),
        required=False,
    )

    error_fields = {"compared_with": "comparison", "findings": None, "visit": None}

    def is_used(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("impression") or data.get("comparison"))


class FindingForm(SectionForm):
    finding_type = forms.ChoiceField(
        label=_("Finding"), choices=_blank(_("Choose…"), FindingType.choices), required=False
    )
    region = forms.ChoiceField(
        label=_("Region"), choices=_blank(_("Choose…"), Region.choices), required=False
    )
    side = forms.ChoiceField(label=_("Side"), choices=Side.choices, initial=Side.BILATERAL)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=_blank(_("Choose…"), Severity.choices), required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)

    FIELDS = ("finding_type", "region", "side", "severity", "notes")

    def is_used(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) for name in ("finding_type", "region", "severity", "notes"))

    def clean(self):
        data = super().clean()
        if self.is_used():
            for name in ("finding_type", "region", "severity"):
                if not data.get(name) and not self.has_error(name):
                    self.add_error(name, _("Choose one for this finding."))
        return data

    def entry(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


FindingFormSet = forms.formset_factory(
    FindingForm,
    extra=FINDING_ROWS,
    max_num=FINDING_ROWS,
    absolute_max=FINDING_ROWS,
    validate_max=True,
)


# --- adverse event ---------------------------------------------------------------------------


class AdverseEventForm(SectionForm):
    event_type = forms.ChoiceField(
        label=_("Event"),
        choices=_blank(_("No adverse event"), AdverseEventType.choices),
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=_blank(_("Not graded"), AdverseEventSeverity.choices),
        required=False,
    )
    onset_on = forms.DateField(label=_("Onset"), required=False, widget=_date_widget())
    resolved_on = forms.DateField(
        label=_("Resolved on"),
        required=False,
        widget=_date_widget(),
        help_text=_("Leave empty while it lasts."),
    )
    course = forms.ChoiceField(label=_("Treatment course"), required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    action_taken = forms.CharField(label=_("Action taken"), max_length=300, required=False)

    def __init__(self, *args, courses: Sequence[m.TreatmentCourse], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.courses = {str(course.pk): course for course in courses}
        self.fields["course"].choices = [
            ("", _("Not related to a course")),
            *(
                (
                    key,
                    _("%(course)s, from %(start)s")
                    % {"course": course, "start": course.started_on.isoformat()},
                )
                for key, course in self.courses.items()
            ),
        ]

    def is_used(self) -> bool:
        # The onset date is filled in for the clinician; on its own it is no event.
        data = self.cleaned_data
        return bool(
            data.get("event_type")
            or data.get("severity")
            or data.get("resolved_on")
            or data.get("description")
            or data.get("action_taken")
        )

    def clean(self):
        data = super().clean()
        if self.is_used():
            if not data.get("event_type") and not self.has_error("event_type"):
                self.add_error("event_type", _("Choose the event."))
            if not data.get("onset_on") and not self.has_error("onset_on"):
                self.add_error("onset_on", _("Give the day it started."))
        onset, resolved = data.get("onset_on"), data.get("resolved_on")
        if onset and resolved and resolved < onset:
            self.add_error("resolved_on", _("An adverse event cannot resolve before its onset."))
        return data

    def entry(self) -> service.AdverseEventEntry:
        data = self.cleaned_data
        return service.AdverseEventEntry(
            event_type=data["event_type"],
            onset_on=data["onset_on"],
            severity=data["severity"],
            resolved_on=data["resolved_on"],
            description=data["description"],
            action_taken=data["action_taken"],
            course=self.courses.get(data["course"]),
        )


# --- the page's forms together ---------------------------------------------------------------


class VisitLogForms:
    """Every section of the page, bound to one POST, or unbound for a fresh page.

    The choices that depend on the day (the doses due around it, the Denver II items around its
    age line, the study a new one is compared with) are read for the visit date entered, or for
    the clinic's today while there is none: a page sent back with errors offers what fits the date
    the clinician typed.
    """

    def __init__(self, data=None, *, infant: m.Infant, today: datetime.date) -> None:
        self.infant = infant
        self.visit = VisitForm(data, prefix="visit", initial={"visit_date": today})
        self.on = on = self.visit.cleaned_data["visit_date"] if self._visit_valid() else today
        self.growth = GrowthForm(
            data, prefix="growth", initial={"length_position": length_position_for(infant, on)}
        )
        self.laboratory = LaboratoryForm(data, prefix="laboratory")
        self.laboratories = service.laboratories_of(infant.clinic)
        self.labs = LabFormSet(data, prefix="labs")
        self.dose = DoseForm(data, prefix="dose", doses=service.doses_due_around(infant, on))
        norms = service.default_norms()
        self.denver = DenverForm(
            data, prefix="denver", offer=service.denver_offer(infant, on, norms=norms), norms=norms
        )
        self.previous_study = service.previous_study(infant, before=on)
        self.imaging = ImagingForm(data, prefix="imaging", initial={"performed_on": on})
        self.findings = FindingFormSet(data, prefix="findings")
        self.adverse_event = AdverseEventForm(
            data, prefix="adverse", initial={"onset_on": on}, courses=service.courses_of(infant)
        )
        self._lab_rows: list[int] = []

    def _visit_valid(self) -> bool:
        return self.visit.is_bound and self.visit.is_valid()

    def is_valid(self) -> bool:
        sections = (
            self.visit,
            self.growth,
            self.laboratory,
            self.dose,
            self.denver,
            self.imaging,
            self.adverse_event,
        )
        valid = [form.is_valid() for form in sections]
        valid += [self.labs.is_valid(), self.findings.is_valid()]
        if self.imaging.is_valid() and self.findings.is_valid():
            self._check_study(self._used_findings())
        return all(valid) and not self.imaging.errors

    def can_check(self) -> bool:
        """Whether the sections that passed their forms can be checked by the services: they all
        hang on the visit date."""
        return self._visit_valid()

    def _used_findings(self) -> list[FindingForm]:
        return [form for form in self.findings.forms if form.is_valid() and form.is_used()]

    def _check_study(self, findings: list[FindingForm]) -> None:
        data = self.imaging.cleaned_data
        if not (findings or self.imaging.is_used()):
            return
        if not data.get("impression") and not self.imaging.has_error("impression"):
            self.imaging.add_error("impression", _("Write the impression of the report."))
        if not data.get("performed_on") and not self.imaging.has_error("performed_on"):
            self.imaging.add_error("performed_on", _("Give the date of the study."))

    def entry(self) -> service.VisitEntry:
        """What was entered, for the service: every section that passed its form and holds
        something (all of them, after is_valid())."""

        def passed(form: SectionForm) -> bool:
            return form.is_valid() and form.is_used()

        self._lab_rows = [i for i, form in enumerate(self.labs.forms) if passed(form)]
        lab_name = self.laboratory.cleaned_data.get("lab_name", "")
        visit = self.visit.cleaned_data
        imaging_ok = self.imaging.is_valid() and self.findings.is_valid()
        return service.VisitEntry(
            visit_date=visit["visit_date"],
            visit_type=visit["visit_type"],
            reason=visit["reason"],
            notes=visit["notes"],
            growth=self.growth.entry() if passed(self.growth) else None,
            labs=[self.labs.forms[i].entry(lab_name=lab_name) for i in self._lab_rows],
            dose=self.dose.entry() if passed(self.dose) else None,
            denver=self.denver.entry() if passed(self.denver) else None,
            imaging=self._imaging_entry() if imaging_ok and self.imaging.is_used() else None,
            adverse_event=(self.adverse_event.entry() if passed(self.adverse_event) else None),
        )

    def _imaging_entry(self) -> service.ImagingEntry:
        data = self.imaging.cleaned_data
        return service.ImagingEntry(
            performed_on=data["performed_on"],
            modality=data["modality"],
            body_site=data["body_site"],
            impression=data["impression"],
            comparison=data["comparison"],
            findings=[form.entry() for form in self._used_findings()],
        )

    def apply_errors(self, errors: service.VisitLogErrors) -> None:
        """Put the service's errors, section by section, on the forms of the last entry()."""
        for section, fields in errors.items():
            if section.startswith("labs."):
                form: SectionForm = self.labs.forms[
                    self._lab_rows[int(section.removeprefix("labs."))]
                ]
            else:
                form = {
                    "visit": self.visit,
                    "growth": self.growth,
                    "dose": self.dose,
                    "denver": self.denver,
                    "imaging": self.imaging,
                    "adverse_event": self.adverse_event,
                }[section]
            form.apply_errors(fields)

    def error_summary(self) -> list[dict[str, str]]:
        """Every error on the page, each linked to its field (or its section), in page order."""
        summary: list[dict[str, str]] = []

        def add(form: forms.Form, section_id: str, title: str) -> None:
            for name, messages in form.errors.items():
                field = None if name == NON_FIELD_ERRORS else form[name]
                href = f"#{section_id}" if field is None else f"#{field.auto_id}"
                label = title if field is None else f"{title}, {field.label}"
                summary.extend(
                    {"href": href, "text": f"{label}: {message}"} for message in messages
                )

        add(self.visit, "visit-section", _("Visit"))
        add(self.growth, "growth-section", _("Growth"))
        add(self.laboratory, "labs-section", _("Lab results"))
        for message in self.labs.non_form_errors() if self.labs.is_bound else ():
            summary.append({"href": "#labs-section", "text": f"{_('Lab results')}: {message}"})
        for index, form in enumerate(self.labs.forms):
            add(form, f"lab-row-{index}", _("Lab result %(number)s") % {"number": index + 1})
        add(self.dose, "dose-section", _("Dose given"))
        add(self.denver, "denver-section", _("Denver II"))
        add(self.imaging, "imaging-section", _("Imaging"))
        for message in self.findings.non_form_errors() if self.findings.is_bound else ():
            summary.append({"href": "#imaging-section", "text": f"{_('Imaging')}: {message}"})
        for index, form in enumerate(self.findings.forms):
            add(form, f"finding-row-{index}", _("Finding %(number)s") % {"number": index + 1})
        add(self.adverse_event, "adverse-section", _("Adverse event"))
        return summary
