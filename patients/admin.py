"""The admin: the record as staff browse it, scoped to their clinics, with voiding instead of delete."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from patients import models as m
from patients.selectors import administers, clinics_for, lead_clinics_for
from patients.services.alerts import acknowledge_alert
from patients.services.records import void_record
from patients.services.visits import book_monitoring_visits


class RecordStatusFilter(admin.SimpleListFilter):
    """Active rows by default; voided rows one click away, never gone."""

    title = "record status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("voided", "Voided"), ("all", "All")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Active",
        }
        yield from super().choices(changelist)

    def queryset(self, request, queryset):
        if self.value() == "voided":
            return queryset.filter(voided_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(voided_at__isnull=True)


class ScopedFormFieldsMixin:
    """Foreign-key choices come from the related admin's scoped queryset, so no form ever offers
    another clinic's infant, course or study."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related_admin, ScopedAdmin) and "queryset" not in kwargs:
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdmin(ScopedFormFieldsMixin, SimpleHistoryAdmin):
    """Base for every model: clinic scope, no delete, a void action, history on each object."""

    #: Lookups from the model to its clinic; a row is visible when any of them is one of the
    #: user's clinics (a lab result reaches its clinic through the infant or the mother).
    clinic_lookups: tuple[str, ...] = ()
    #: Configuration rows (clinics, memberships) are also visible to administrators.
    configuration = False
    actions = ["void_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser or (self.configuration and administers(user)):
            return queryset
        clinic_ids = list(clinics_for(user).values_list("id", flat=True))
        if not self.clinic_lookups or not clinic_ids:
            return queryset.none()
        condition = Q()
        for lookup in self.clinic_lookups:
            condition |= Q(**{f"{lookup}__in": clinic_ids})
        return queryset.filter(condition)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not hasattr(self.model, "voided_at") or not self.has_change_permission(request):
            actions.pop("void_selected", None)
        return actions

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if hasattr(self.model, "voided_at"):
            filters.insert(0, RecordStatusFilter)
        return filters

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if hasattr(self.model, "voided_at"):
            fields += ["voided_at", "voided_by", "void_reason"]
        return fields

    @admin.action(description="Void selected records (with a reason)")
    def void_selected(self, request, queryset):
        records = list(queryset.filter(voided_at__isnull=True))
        reason = request.POST.get("void_reason", "").strip()
        if "confirm_void" in request.POST:
            if reason:
                try:
                    for record in records:
                        void_record(record, actor=request.user, reason=reason)
                except ValidationError as error:
                    self.message_user(request, "; ".join(error.messages), messages.ERROR)
                    return None
                self.message_user(request, f"Voided {len(records)} record(s).", messages.SUCCESS)
                return None
            error = "Say why these records are voided."
        else:
            error = ""
        return TemplateResponse(
            request,
            "admin/void_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "records": records,
                "selected": [str(r.pk) for r in records],
                "reason": reason,
                "error": error,
                "title": "Void records",
            },
        )


class ScopedInline(ScopedFormFieldsMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return (
            queryset.filter(voided_at__isnull=True)
            if hasattr(self.model, "voided_at")
            else queryset
        )

    def get_exclude(self, request, obj=None):
        return ["voided_at", "voided_by", "void_reason"]


# --- clinics and people -----------------------------------------------------------------------


class WeeklyClosureInline(ScopedInline):
    model = m.ClinicWeeklyClosure


class HolidayInline(ScopedInline):
    model = m.ClinicHoliday


class MembershipInline(ScopedInline):
    model = m.ClinicMembership
    autocomplete_fields = ["user"]


@admin.register(m.Clinic)
class ClinicAdmin(ScopedAdmin):
    clinic_lookups = ("pk",)
    configuration = True
    list_display = ["name", "time_zone"]
    search_fields = ["name"]
    inlines = [WeeklyClosureInline, HolidayInline, MembershipInline]


@admin.register(m.ClinicWeeklyClosure)
class ClinicWeeklyClosureAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    configuration = True
    list_display = ["clinic", "weekday"]
    list_filter = ["clinic"]


@admin.register(m.ClinicHoliday)
class ClinicHolidayAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    configuration = True
    list_display = ["clinic", "date", "name"]
    list_filter = ["clinic"]
    date_hierarchy = "date"


@admin.register(m.ClinicMembership)
class ClinicMembershipAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    configuration = True
    list_display = ["user", "clinic", "role", "profession", "is_active"]
    list_filter = ["role", "clinic", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


@admin.register(m.User)
class UserAdmin(ScopedFormFieldsMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Users are deactivated; their names stay on the history rows they wrote.
        return False


class ConsentInline(ScopedInline):
    model = m.Consent
    fk_name = "guardian"


class GuardianshipInline(ScopedInline):
    model = m.InfantGuardian
    autocomplete_fields = ["infant", "guardian"]


@admin.register(m.Guardian)
class GuardianAdmin(ScopedAdmin):
    clinic_lookups = ("guardianships__infant__clinic",)
    list_display = [
        "__str__",
        "phone",
        "email",
        "language",
        "time_zone",
        "sms_enabled",
        "email_enabled",
    ]
    list_filter = ["language", "sms_enabled", "email_enabled", "calendar_enabled"]
    search_fields = ["user__first_name", "user__last_name", "phone", "email"]
    autocomplete_fields = ["user"]
    inlines = [ConsentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct().select_related("user")


@admin.register(m.Consent)
class ConsentAdmin(ScopedAdmin):
    clinic_lookups = ("guardian__guardianships__infant__clinic",)
    list_display = ["guardian", "purpose", "text_version", "given_at", "withdrawn_at"]
    list_filter = ["purpose"]
    autocomplete_fields = ["guardian"]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


class SupplementationInline(ScopedInline):
    model = m.MaternalSupplementation


@admin.register(m.Mother)
class MotherAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    list_display = ["__str__", "clinic", "diet", "deficiency_cause"]
    list_filter = ["diet", "deficiency_cause", "clinic"]
    search_fields = ["given_name", "family_name"]
    autocomplete_fields = ["guardian"]
    inlines = [SupplementationInline]


@admin.register(m.MaternalSupplementation)
class MaternalSupplementationAdmin(ScopedAdmin):
    clinic_lookups = ("mother__clinic",)
    list_display = [
        "mother",
        "product",
        "route",
        "dose_ug",
        "frequency",
        "started_on",
        "stopped_on",
    ]
    list_filter = ["route"]
    autocomplete_fields = ["mother"]


class PresentingSignInline(ScopedInline):
    model = m.PresentingSign


@admin.register(m.Infant)
class InfantAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    list_display = [
        "family_name",
        "given_name",
        "record_number",
        "sex",
        "birth_date",
        "diagnosis_date",
        "follow_up_status",
        "clinic",
    ]
    list_display_links = ["family_name", "given_name"]
    list_filter = ["follow_up_status", "sex", "clinic", "presenting_signs__sign"]
    search_fields = ["given_name", "family_name", "record_number", "guardianships__guardian__phone"]
    autocomplete_fields = ["mother"]
    date_hierarchy = "birth_date"
    inlines = [GuardianshipInline, PresentingSignInline]
    list_select_related = ["clinic"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "clinic",
                    "record_number",
                    "given_name",
                    "family_name",
                    "sex",
                    "birth_date",
                ]
            },
        ),
        ("Birth", {"fields": ["gestational_age_days", "birth_weight_g"]}),
        (
            "Feeding",
            {"fields": ["exclusively_breastfed", "solids_started_age_months", "feeding_notes"]},
        ),
        ("Follow-up", {"fields": ["mother", "diagnosis_date", "follow_up_status"]}),
        ("Voided", {"fields": ["voided_at", "voided_by", "void_reason"], "classes": ["collapse"]}),
    ]

    actions = ["void_selected", "book_monitoring_visits"]

    def get_queryset(self, request):
        # The presenting-sign filter and guardian-phone search join to-many tables.
        return super().get_queryset(request).distinct()

    @admin.action(
        description="Book the monitoring plan's visits (labs, MRI, Denver II)",
        permissions=["change"],
    )
    def book_monitoring_visits(self, request, queryset):
        booked = 0
        for infant in queryset.filter(voided_at__isnull=True):
            booked += len(book_monitoring_visits(infant, actor=request.user))
        self.message_user(
            request,
            f"Booked or extended {booked} visit(s); the guardians' reminders follow.",
            messages.SUCCESS,
        )


@admin.register(m.InfantGuardian)
class InfantGuardianAdmin(ScopedAdmin):
    clinic_lookups = ("infant__clinic",)
    list_display = ["infant", "guardian", "relationship", "is_primary"]
    list_filter = ["relationship"]
    autocomplete_fields = ["infant", "guardian"]


@admin.register(m.PresentingSign)
class PresentingSignAdmin(ScopedAdmin):
    clinic_lookups = ("infant__clinic",)
    list_display = ["infant", "sign", "onset_age_months"]
    list_filter = ["sign"]
    autocomplete_fields = ["infant"]


# --- visits, growth, labs, imaging --------------------------------------------------------------


class InfantRecordAdmin(ScopedAdmin):
    """Rows that hang off one infant."""

    clinic_lookups = ("infant__clinic",)
    autocomplete_fields = ["infant"]
    list_select_related = ["infant"]


class GrowthInline(ScopedInline):
    model = m.GrowthMeasurement
    fields = [
        "infant",
        "measured_on",
        "weight_kg",
        "length_cm",
        "length_position",
        "head_circumference_cm",
    ]
    autocomplete_fields = ["infant"]


class VisitLabInline(ScopedInline):
    model = m.LabResult
    fk_name = "visit"
    fields = [
        "infant",
        "analyte",
        "collected_on",
        "comparator",
        "value",
        "unit",
        "reported_text",
        "flag",
    ]
    autocomplete_fields = ["infant"]


@admin.register(m.Visit)
class VisitAdmin(InfantRecordAdmin):
    list_display = ["visit_date", "infant", "visit_type", "clinician"]
    list_filter = ["visit_type"]
    search_fields = ["infant__given_name", "infant__family_name", "infant__record_number", "reason"]
    date_hierarchy = "visit_date"
    inlines = [GrowthInline, VisitLabInline]
    autocomplete_fields = ["infant", "clinician"]


class GrowthScoreInline(admin.TabularInline):
    """Computed by the clinical core with the reference that produced it; never typed in."""

    model = m.GrowthScore
    extra = 0
    can_delete = False
    fields = [
        "reference_name",
        "indicator",
        "z",
        "centile",
        "status",
        "restricted_calculation",
        "implausible",
        "corrected_age_used",
        "reference_version",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.GrowthMeasurement)
class GrowthMeasurementAdmin(InfantRecordAdmin):
    list_display = ["measured_on", "infant", "weight_kg", "length_cm", "head_circumference_cm"]
    date_hierarchy = "measured_on"
    raw_id_fields = ["visit"]
    inlines = [GrowthScoreInline]


@admin.register(m.LabResult)
class LabResultAdmin(InfantRecordAdmin):
    clinic_lookups = ("infant__clinic", "mother__clinic")
    list_display = [
        "collected_on",
        "subject",
        "analyte",
        "result",
        "flag",
        "reference",
        "b12_status",
    ]
    list_filter = ["analyte", "flag", "b12_status", "specimen"]
    readonly_fields = [
        "canonical_value",
        "canonical_unit",
        "flag",
        "flag_rule",
        "b12_status",
        "b12_threshold_set",
    ]
    search_fields = ["infant__family_name", "infant__record_number", "mother__family_name"]
    autocomplete_fields = ["infant", "mother"]
    raw_id_fields = ["visit"]
    date_hierarchy = "collected_on"
    list_select_related = ["infant", "mother"]

    @admin.display(description="subject")
    def subject(self, obj: m.LabResult) -> str:
        return str(obj.infant) if obj.infant_id else f"Mother: {obj.mother}"

    @admin.display(description="result")
    def result(self, obj: m.LabResult) -> str:
        return obj.result_text

    @admin.display(description="reference range")
    def reference(self, obj: m.LabResult) -> str:
        if obj.reference_low is None and obj.reference_high is None:
            return ""
        low = "" if obj.reference_low is None else f"{obj.reference_low.normalize():f}"
        high = "" if obj.reference_high is None else f"{obj.reference_high.normalize():f}"
        return f"{low}-{high}"


@admin.register(m.QualitativeFinding)
class QualitativeFindingAdmin(InfantRecordAdmin):
    list_display = ["observed_on", "infant", "specimen", "finding"]
    list_filter = ["specimen", "finding"]
    raw_id_fields = ["visit"]


class ImagingFindingInline(ScopedInline):
    model = m.ImagingFinding


@admin.register(m.ImagingStudy)
class ImagingStudyAdmin(InfantRecordAdmin):
    list_display = ["performed_on", "infant", "modality", "body_site", "comparison"]
    list_filter = ["modality", "body_site", "comparison", "findings__severity"]
    search_fields = ["infant__family_name", "infant__record_number", "impression"]
    raw_id_fields = ["visit", "compared_with"]
    inlines = [ImagingFindingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(m.ImagingFinding)
class ImagingFindingAdmin(ScopedAdmin):
    clinic_lookups = ("study__infant__clinic",)
    list_display = ["study", "finding_type", "region", "side", "severity"]
    list_filter = ["finding_type", "region", "severity"]
    raw_id_fields = ["study"]


# --- development --------------------------------------------------------------------------------


class DenverItemInline(ScopedInline):
    model = m.DenverItemResult
    readonly_fields = ["interpretation"]


class DenverSectorInline(ScopedInline):
    model = m.DenverSectorFinding


@admin.register(m.DenverAssessment)
class DenverAssessmentAdmin(InfantRecordAdmin):
    list_display = ["assessed_on", "infant", "test_result", "age_line_months", "norm_version"]
    list_filter = ["test_result", "norm_version"]
    readonly_fields = [
        "age_line_months",
        "age_corrected",
        "norm_version",
        "rules_version",
        "test_result",
        "recommendation",
        "sector_summaries",
    ]
    raw_id_fields = ["visit"]
    autocomplete_fields = ["infant", "examiner"]
    inlines = [DenverSectorInline, DenverItemInline]


@admin.register(m.DenverItemResult)
class DenverItemResultAdmin(ScopedAdmin):
    clinic_lookups = ("assessment__infant__clinic",)
    list_display = ["assessment", "item_code", "score", "interpretation"]
    list_filter = ["score", "interpretation"]
    raw_id_fields = ["assessment"]


@admin.register(m.DenverSectorFinding)
class DenverSectorFindingAdmin(ScopedAdmin):
    clinic_lookups = ("assessment__infant__clinic",)
    list_display = ["assessment", "sector", "conclusion"]
    list_filter = ["sector", "conclusion"]
    raw_id_fields = ["assessment"]


@admin.register(m.MilestoneAttainment)
class MilestoneAttainmentAdmin(InfantRecordAdmin):
    list_display = ["infant", "milestone", "attained_age_months", "attained_on", "source", "timing"]
    list_filter = ["milestone", "source", "timing"]
    readonly_fields = ["timing", "age_used_months", "age_corrected", "window_reference"]


# --- treatment -----------------------------------------------------------------------------------


class CourseEventInline(ScopedInline):
    model = m.CourseEvent
    fields = ["kind", "on", "make_up_on", "dose", "dose_unit", "route", "reason", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # events re-plan the course, so they go through the treatment service


class PlannedDoseInline(ScopedInline):
    model = m.PlannedDose
    fields = [
        "number",
        "phase_name",
        "due_on",
        "original_due_on",
        "dose",
        "dose_unit",
        "route",
        "status",
    ]
    readonly_fields = fields
    ordering = ["number"]
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # planned doses come from the regimen, never typed in


class ReviewTaskInline(ScopedInline):
    model = m.ReviewTask
    fields = [
        "due_on",
        "phase_name",
        "question",
        "completed_at",
        "completed_by",
        "outcome",
        "superseded",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # review dates come from the regimen; a course event settles them


class AdministrationInline(ScopedInline):
    model = m.DoseAdministration
    fields = [
        "planned_dose",
        "given_on",
        "location",
        "site",
        "dose",
        "dose_unit",
        "route",
        "lot_number",
    ]
    raw_id_fields = ["planned_dose"]


@admin.register(m.TreatmentCourse)
class TreatmentCourseAdmin(InfantRecordAdmin):
    list_display = [
        "infant",
        "drug",
        "dose",
        "dose_unit",
        "route",
        "regimen_name",
        "started_on",
        "status",
    ]
    list_filter = ["drug", "route", "status"]
    search_fields = ["infant__family_name", "infant__record_number", "regimen_name"]
    autocomplete_fields = ["infant", "prescribed_by"]
    readonly_fields = [
        "regimen_name",
        "regimen_key",
        "regimen_version",
        "regimen_source",
        "regimen",
        "planned_until",
    ]
    inlines = [CourseEventInline, ReviewTaskInline, PlannedDoseInline, AdministrationInline]


@admin.register(m.CourseEvent)
class CourseEventAdmin(ScopedAdmin):
    clinic_lookups = ("course__infant__clinic",)
    list_display = ["on", "course", "kind", "reason", "recorded_by"]
    list_filter = ["kind"]
    raw_id_fields = ["course"]
    readonly_fields = [
        "course",
        "kind",
        "on",
        "make_up_on",
        "dose",
        "dose_unit",
        "route",
        "reason",
        "recorded_by",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.PlannedDose)
class PlannedDoseAdmin(ScopedAdmin):
    clinic_lookups = ("course__infant__clinic",)
    list_display = ["due_on", "course", "number", "phase_name", "status"]
    list_filter = ["status", "at_home"]
    date_hierarchy = "due_on"
    raw_id_fields = ["course"]
    list_select_related = ["course__infant"]


@admin.register(m.ReviewTask)
class ReviewTaskAdmin(ScopedAdmin):
    clinic_lookups = ("course__infant__clinic",)
    list_display = ["due_on", "course", "phase_name", "question", "completed_at", "superseded"]
    list_filter = ["superseded"]
    date_hierarchy = "due_on"
    raw_id_fields = ["course"]
    list_select_related = ["course__infant"]
    readonly_fields = [
        "course",
        "phase_number",
        "phase_name",
        "due_on",
        "question",
        "completed_at",
        "completed_by",
        "outcome",
        "superseded",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.DoseAdministration)
class DoseAdministrationAdmin(ScopedAdmin):
    clinic_lookups = ("course__infant__clinic",)
    list_display = ["given_on", "course", "location", "site", "lot_number", "given_by"]
    list_filter = ["location", "site"]
    date_hierarchy = "given_on"
    raw_id_fields = ["course", "planned_dose"]
    autocomplete_fields = ["given_by"]
    list_select_related = ["course__infant"]


@admin.register(m.AdverseEvent)
class AdverseEventAdmin(InfantRecordAdmin):
    list_display = ["onset_on", "infant", "event_type", "severity", "resolved_on"]
    list_filter = ["event_type", "severity"]
    raw_id_fields = ["course"]


@admin.register(m.Procedure)
class ProcedureAdmin(InfantRecordAdmin):
    list_display = ["performed_on", "infant", "kind", "outcome"]
    list_filter = ["kind"]


# --- reference data and alerts --------------------------------------------------------------------


@admin.register(m.GrowthReference)
class GrowthReferenceAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    configuration = True
    list_display = ["name", "version", "clinic", "is_active", "source"]
    list_filter = ["clinic", "is_active"]


@admin.register(m.LabReferenceRange)
class LabReferenceRangeAdmin(ScopedAdmin):
    clinic_lookups = ("clinic",)
    configuration = True
    list_display = [
        "analyte",
        "low",
        "high",
        "unit",
        "age_from_days",
        "age_until_days",
        "sex",
        "lab_name",
        "clinic",
    ]
    list_filter = ["analyte", "clinic"]


@admin.register(m.DenverNormTable)
class DenverNormTableAdmin(SimpleHistoryAdmin):
    """Tables are imported with `manage.py import_denver_norms` and never edited in place."""

    list_display = ["version", "is_default", "imported_at", "imported_by"]
    readonly_fields = ["version", "metadata", "items", "imported_at", "imported_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Regimen)
class RegimenAdmin(ScopedFormFieldsMixin, SimpleHistoryAdmin):
    list_display = ["name", "version", "key", "clinic", "is_active"]
    list_filter = ["is_active", "clinic"]
    search_fields = ["name", "key"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser or administers(request.user):
            return queryset
        return queryset.filter(Q(clinic__isnull=True) | Q(clinic__in=clinics_for(request.user)))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.Alert)
class AlertAdmin(ScopedAdmin):
    clinic_lookups = ("infant__clinic",)
    actions = ["acknowledge_selected"]
    list_display = ["raised_at", "infant", "severity", "message", "acknowledged_at", "resolved_at"]
    list_filter = ["severity", "code"]
    list_select_related = ["infant"]
    readonly_fields = [
        "infant",
        "code",
        "severity",
        "message",
        "evidence",
        "source",
        "rules_version",
        "raised_at",
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Acknowledge selected alerts")
    def acknowledge_selected(self, request, queryset):
        now = timezone.now()
        for alert in queryset.filter(acknowledged_at__isnull=True):
            acknowledge_alert(alert, actor=request.user, now=now)
        self.message_user(request, "Alerts acknowledged.", messages.SUCCESS)


@admin.register(m.PlannedMessage)
class PlannedMessageAdmin(ScopedAdmin):
    """Every reminder of an infant with its status, attempts and provider id; read-only."""

    clinic_lookups = ("infant__clinic",)
    list_display = [
        "due_at",
        "infant",
        "guardian",
        "kind",
        "channel",
        "status",
        "attempts",
        "provider_message_id",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["infant__record_number", "infant__family_name", "provider_message_id"]
    date_hierarchy = "due_at"
    list_select_related = ["infant", "guardian__user"]
    actions: list = []

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.RecordAccess)
class RecordAccessAdmin(admin.ModelAdmin):
    """The access log, read-only, for the leads of the patient's clinic."""

    list_display = ["at", "user", "action", "resource", "infant", "clinic", "ip_address"]
    list_filter = ["action", "resource"]
    date_hierarchy = "at"
    list_select_related = ["user", "infant"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(clinic__in=lead_clinics_for(request.user).values("id"))

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(m.CalendarFeed)
class CalendarFeedAdmin(ScopedAdmin):
    clinic_lookups = ("guardian__guardianships__infant__clinic",)
    list_display = ["guardian", "created_at", "revoked_at"]
    readonly_fields = ["guardian", "token", "created_at", "revoked_at"]
    actions: list = []

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def has_add_permission(self, request) -> bool:
        return False
