"""Query filters of the list endpoints (django-filter); every filter says what it does."""

from __future__ import annotations

import django_filters as df

from patients import models as m
from patients.models import development, imaging, labs, reminders, treatment, visits
from patients.models.audit import AccessAction
from patients.models.interpretation import AlertSeverity
from patients.models.people import FollowUpStatus

RECORD_STATUS_CHOICES = [
    ("active", "Active rows only (the default)"),
    ("voided", "Voided rows only"),
    ("all", "Active and voided rows"),
]


def _uuid(field: str, what: str) -> df.UUIDFilter:
    return df.UUIDFilter(field_name=field, help_text=f"Only rows of this {what} (UUID).")


def _on_or_after(field: str, what: str) -> df.DateFilter:
    return df.DateFilter(
        field_name=field, lookup_expr="gte", help_text=f"Only rows whose {what} is on or after."
    )


def _on_or_before(field: str, what: str) -> df.DateFilter:
    return df.DateFilter(
        field_name=field, lookup_expr="lte", help_text=f"Only rows whose {what} is on or before."
    )


def _choice(field: str, choices, what: str) -> df.ChoiceFilter:
    return df.ChoiceFilter(field_name=field, choices=choices, help_text=f"Only this {what}.")


class ClinicalFilterSet(df.FilterSet):
    """Lists show active rows; voided rows stay one parameter away, never gone."""

    record_status = df.ChoiceFilter(
        choices=RECORD_STATUS_CHOICES,
        method="filter_record_status",
        help_text="Which rows to list by voiding: active (default), voided or all.",
    )

    def filter_record_status(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where the default is known

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        status = self.form.cleaned_data.get("record_status") or "active"
        if status == "active":
            return queryset.filter(voided_at__isnull=True)
        if status == "voided":
            return queryset.filter(voided_at__isnull=False)
        return queryset


class GuardianFilter(ClinicalFilterSet):
    infant = df.UUIDFilter(
        field_name="guardianships__infant",
        distinct=True,
        help_text="Only guardians of this infant (UUID).",
    )

    class Meta:
        model = m.Guardian
        fields: list[str] = []


class MotherFilter(ClinicalFilterSet):
    clinic = _uuid("clinic", "clinic")

    class Meta:
        model = m.Mother
        fields: list[str] = []


class InfantFilter(ClinicalFilterSet):
    clinic = _uuid("clinic", "clinic")
    record_number = df.CharFilter(help_text="Only the infant with this clinic record number.")
    follow_up_status = _choice("follow_up_status", FollowUpStatus.choices, "follow-up status")
    mother = _uuid("mother", "mother")

    class Meta:
        model = m.Infant
        fields: list[str] = []


class InfantRecordFilter(ClinicalFilterSet):
    infant = _uuid("infant", "infant")


class VisitFilter(InfantRecordFilter):
    visit_type = _choice("visit_type", visits.VisitType.choices, "visit type")
    visit_date_from = _on_or_after("visit_date", "visit date")
    visit_date_to = _on_or_before("visit_date", "visit date")

    class Meta:
        model = m.Visit
        fields: list[str] = []


class GrowthMeasurementFilter(InfantRecordFilter):
    visit = _uuid("visit", "visit")
    measured_from = _on_or_after("measured_on", "measurement date")
    measured_to = _on_or_before("measured_on", "measurement date")

    class Meta:
        model = m.GrowthMeasurement
        fields: list[str] = []


class LabResultFilter(InfantRecordFilter):
    mother = _uuid("mother", "mother")
    visit = _uuid("visit", "visit")
    analyte = _choice("analyte", labs.Analyte.choices, "analyte")
    flag = _choice("flag", labs.LabFlag.choices, "flag")
    collected_from = _on_or_after("collected_on", "collection date")
    collected_to = _on_or_before("collected_on", "collection date")

    class Meta:
        model = m.LabResult
        fields: list[str] = []


class ImagingStudyFilter(InfantRecordFilter):
    modality = _choice("modality", imaging.Modality.choices, "modality")
    performed_from = _on_or_after("performed_on", "study date")
    performed_to = _on_or_before("performed_on", "study date")

    class Meta:
        model = m.ImagingStudy
        fields: list[str] = []


class ImagingFindingFilter(ClinicalFilterSet):
    study = _uuid("study", "imaging study")
    infant = _uuid("study__infant", "infant")
    finding_type = _choice("finding_type", imaging.FindingType.choices, "finding type")

    class Meta:
        model = m.ImagingFinding
        fields: list[str] = []


class DenverAssessmentFilter(InfantRecordFilter):
    test_result = _choice("test_result", development.DenverTestResult.choices, "test result")
    assessed_from = _on_or_after("assessed_on", "assessment date")
    assessed_to = _on_or_before("assessed_on", "assessment date")

    class Meta:
        model = m.DenverAssessment
        fields: list[str] = []


class MilestoneAttainmentFilter(InfantRecordFilter):
    milestone = _choice("milestone", development.Milestone.choices, "milestone")
    timing = _choice("timing", development.MilestoneTiming.choices, "timing")

    class Meta:
        model = m.MilestoneAttainment
        fields: list[str] = []


class TreatmentCourseFilter(InfantRecordFilter):
    status = _choice("status", treatment.CourseStatus.choices, "course status")
    drug = _choice("drug", treatment.Drug.choices, "drug")

    class Meta:
        model = m.TreatmentCourse
        fields: list[str] = []


class PlannedDoseFilter(ClinicalFilterSet):
    course = _uuid("course", "treatment course")
    infant = _uuid("course__infant", "infant")
    status = _choice("status", treatment.PlannedDoseStatus.choices, "dose status")
    due_from = _on_or_after("due_on", "due date")
    due_to = _on_or_before("due_on", "due date")

    class Meta:
        model = m.PlannedDose
        fields: list[str] = []


class DoseAdministrationFilter(ClinicalFilterSet):
    course = _uuid("course", "treatment course")
    infant = _uuid("course__infant", "infant")
    given_from = _on_or_after("given_on", "administration date")
    given_to = _on_or_before("given_on", "administration date")

    class Meta:
        model = m.DoseAdministration
        fields: list[str] = []


class AdverseEventFilter(InfantRecordFilter):
    course = _uuid("course", "treatment course")
    event_type = _choice("event_type", treatment.AdverseEventType.choices, "event type")

    class Meta:
        model = m.AdverseEvent
        fields: list[str] = []


class AlertFilter(df.FilterSet):
    infant = _uuid("infant", "infant")
    severity = _choice("severity", AlertSeverity.choices, "severity")
    code = df.CharFilter(help_text="Only alerts of this rule code.")
    open = df.BooleanFilter(
        field_name="resolved_at",
        lookup_expr="isnull",
        help_text="true: only unresolved alerts; false: only resolved ones.",
    )
    acknowledged = df.BooleanFilter(
        field_name="acknowledged_at",
        lookup_expr="isnull",
        exclude=True,
        help_text="true: only acknowledged alerts; false: only those nobody has acknowledged.",
    )

    class Meta:
        model = m.Alert
        fields: list[str] = []


class PlannedMessageFilter(df.FilterSet):
    infant = _uuid("infant", "infant")
    guardian = _uuid("guardian", "guardian")
    kind = _choice("kind", reminders.MessageKind.choices, "message kind")
    channel = _choice("channel", reminders.Channel.choices, "channel")
    status = _choice("status", reminders.MessageStatus.choices, "message status")
    event_from = _on_or_after("event_on", "event date")
    event_to = _on_or_before("event_on", "event date")

    class Meta:
        model = m.PlannedMessage
        fields: list[str] = []


class RegimenFilter(df.FilterSet):
    clinic = _uuid("clinic", "clinic")
    key = df.CharFilter(help_text="Only versions of the regimen with this key.")
    is_active = df.BooleanFilter(help_text="true: only regimens that can be prescribed.")

    class Meta:
        model = m.Regimen
        fields: list[str] = []


class RecordAccessFilter(df.FilterSet):
    infant = _uuid("infant", "infant")
    user = _uuid("user", "user")
    action = _choice("action", AccessAction.choices, "action")
    resource = df.CharFilter(help_text="Only reads of this model label, e.g. patients.labresult.")
    at_from = df.IsoDateTimeFilter(
        field_name="at", lookup_expr="gte", help_text="Only reads at or after this time."
    )
    at_to = df.IsoDateTimeFilter(
        field_name="at", lookup_expr="lte", help_text="Only reads at or before this time."
    )

    class Meta:
        model = m.RecordAccess
        fields: list[str] = []
