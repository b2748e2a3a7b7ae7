"""The rows each caller may reach, per model: one place for the API's authorization of rows.

Every function takes the user and returns a queryset of the rows in their scope, voided rows
included (a voided row stays readable with its history; lists leave it out unless asked). The
viewsets and the related-id fields of the serializers both start here, so a row outside the scope
is neither shown (404, absent from lists) nor accepted as a reference in a write (400, "does not
exist", whether it exists elsewhere or not).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db.models import Expression, Q, QuerySet

from patients import models as m
from patients.selectors import (
    CLINICAL_ROLES,
    active_infant_count,
    active_infant_count_column,
    administers,
    children_of,
    clinic_infants_for,
    clinics_for,
    guardians_for,
    messages_for,
)


def _of_infants(model: type, path: str, user: m.User) -> QuerySet:
    return model.objects.filter(**{f"{path}__in": clinic_infants_for(user).values("id")})


def infants(user: m.User, *, clinic_ids: Collection[uuid.UUID] | None = None) -> QuerySet[m.Infant]:
    """``clinic_ids``: the caller's clinics when this request has read them already."""
    return clinic_infants_for(user, clinic_ids=clinic_ids)


def active_infants_count(user: m.User, *, clinic_ids: Collection[uuid.UUID] | None = None) -> int:
    """How many rows `infants` holds that are not voided, without counting them."""
    return active_infant_count(user, clinic_ids=clinic_ids)


def active_infants_count_column(
    user: m.User, *, clinic_ids: Collection[uuid.UUID] | None = None
) -> Expression | None:
    """`active_infants_count` as a column a page's rows can carry; None where none is kept."""
    return active_infant_count_column(user, clinic_ids=clinic_ids)


def mothers(user: m.User) -> QuerySet[m.Mother]:
    return m.Mother.objects.filter(clinic__in=clinics_for(user).values("id"))


def guardians(user: m.User) -> QuerySet[m.Guardian]:
    return guardians_for(user)


def visits(user: m.User) -> QuerySet[m.Visit]:
    return _of_infants(m.Visit, "infant", user)


def growth_measurements(user: m.User) -> QuerySet[m.GrowthMeasurement]:
    return _of_infants(m.GrowthMeasurement, "infant", user)


def lab_results(user: m.User) -> QuerySet[m.LabResult]:
    return m.LabResult.objects.filter(
        Q(infant__in=clinic_infants_for(user).values("id"))
        | Q(mother__clinic__in=clinics_for(user).values("id"))
    )


def imaging_studies(user: m.User) -> QuerySet[m.ImagingStudy]:
    return _of_infants(m.ImagingStudy, "infant", user)


def imaging_findings(user: m.User) -> QuerySet[m.ImagingFinding]:
    return _of_infants(m.ImagingFinding, "study__infant", user)


def denver_assessments(user: m.User) -> QuerySet[m.DenverAssessment]:
    return _of_infants(m.DenverAssessment, "infant", user)


def milestone_attainments(user: m.User) -> QuerySet[m.MilestoneAttainment]:
    return _of_infants(m.MilestoneAttainment, "infant", user)


def treatment_courses(user: m.User) -> QuerySet[m.TreatmentCourse]:
    return _of_infants(m.TreatmentCourse, "infant", user)


def planned_doses(user: m.User) -> QuerySet[m.PlannedDose]:
    return _of_infants(m.PlannedDose, "course__infant", user)


def dose_administrations(user: m.User) -> QuerySet[m.DoseAdministration]:
    return _of_infants(m.DoseAdministration, "course__infant", user)


def adverse_events(user: m.User) -> QuerySet[m.AdverseEvent]:
    return _of_infants(m.AdverseEvent, "infant", user)


def alerts(user: m.User) -> QuerySet[m.Alert]:
    return _of_infants(m.Alert, "infant", user)


def reminders(user: m.User) -> QuerySet[m.PlannedMessage]:
    return messages_for(user)


def children(user: m.User) -> QuerySet[m.Infant]:
    return children_of(user)


def clinicians(user: m.User) -> QuerySet[m.User]:
    """Staff and leads of the user's clinics: who may be named as clinician, examiner or giver."""
    return m.User.objects.filter(
        id__in=m.ClinicMembership.objects.filter(
            clinic__in=clinics_for(user).values("id"), is_active=True, role__in=CLINICAL_ROLES
        ).values("user_id")
    )


def clinics(user: m.User) -> QuerySet[m.Clinic]:
    """Administrators configure every clinic (as in the admin); staff and leads see their own."""
    if administers(user):
        return m.Clinic.objects.all()
    return clinics_for(user)


def clinical_clinics(user: m.User) -> QuerySet[m.Clinic]:
    """Clinics whose record the user writes: where they are staff or lead."""
    return clinics_for(user)


def regimens(user: m.User) -> QuerySet[m.Regimen]:
    """Administrators see every regimen; staff the shipped ones and their clinics' own."""
    if administers(user):
        return m.Regimen.objects.all()
    return m.Regimen.objects.filter(
        Q(clinic__isnull=True) | Q(clinic__in=clinics_for(user).values("id"))
    )
