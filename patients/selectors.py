"""Reads scoped to the user: every list of patient data starts here.

Staff and leads see the infants of the clinics where they hold an active membership; guardians
their own children; everyone else nothing. Voided rows are left out unless asked for.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection

from django.db import connection
from django.db.models import (
    Aggregate,
    Expression,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from patients.models import (
    Clinic,
    Infant,
    InfantCountChange,
    InfantGuardian,
    ReviewTask,
    Role,
    User,
)

CLINICAL_ROLES = (Role.STAFF, Role.LEAD)


def clinics_for(user: User) -> QuerySet[Clinic]:
    if not user.is_authenticated:
        return Clinic.objects.none()
    if user.is_superuser:
        return Clinic.objects.all()
    return Clinic.objects.filter(
        memberships__user=user, memberships__is_active=True, memberships__role__in=CLINICAL_ROLES
    ).distinct()


def lead_clinics_for(user: User) -> QuerySet[Clinic]:
    """Clinics the user leads: where the audit trail and cohort exports may be read."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    if user.is_superuser:
        return Clinic.objects.all()
    return Clinic.objects.filter(
        memberships__user=user, memberships__is_active=True, memberships__role=Role.LEAD
    ).distinct()


def infants_for(user: User, *, include_voided: bool = False) -> QuerySet[Infant]:
    if not user.is_authenticated:
        return Infant.objects.none()
    if user.is_superuser:
        infants = Infant.objects.all()
    else:
        # Subqueries rather than joins, so the list needs no DISTINCT and stays one query.
        own_children = InfantGuardian.objects.filter(guardian__user=user, voided_at__isnull=True)
        infants = Infant.objects.filter(
            Q(clinic__in=clinics_for(user).values("id"))
            | Q(id__in=own_children.values("infant_id"))
        )
    return infants if include_voided else infants.active()


def administers(user: User) -> bool:
    """Administrators configure clinics, users and reference data; they hold no clinical scope."""
    return user.is_authenticated and (
        user.is_superuser
        or user.memberships.filter(is_active=True, role=Role.ADMINISTRATOR).exists()
    )


def open_review_tasks(user: User, *, due_by: datetime.date) -> QuerySet[ReviewTask]:
    """The worklist's decisions: open-ended phases whose review is due, in the user's clinics.

    Scoped by the clinics alone: a decision about a course is clinical work, never a parent's, and
    the clinic ids as values let PostgreSQL join the clinic's infants instead of testing every
    infant against "in my clinics or my own child" (394 ms against 84 ms at 100,000 infants).
    """
    return (
        ReviewTask.objects.active()
        .filter(
            completed_at__isnull=True,
            superseded=False,
            due_on__lte=due_by,
            course__infant__in=clinic_infants_for(user).active(),
            course__status="active",
        )
        .select_related("course__infant")
        .order_by("due_on")
    )


# --- reads of the REST API (patients/api) ---------------------------------------------------------

from patients.models import Guardian, PlannedMessage, RecordAccess  # noqa: E402


def clinic_infants_for(
    user: User, *, clinic_ids: Collection[uuid.UUID] | None = None
) -> QuerySet[Infant]:
    """Infants of the clinics where the user works as staff or lead, voided ones included.

    The clinical endpoints start here rather than from `infants_for`: a member of staff who is
    also a parent reaches their own child through the guardian endpoints, never through the
    clinical record of a clinic they do not work in.

    ``clinic_ids``: the ids ``clinics_for`` gives the user, when the caller has read them already
    in this request (the API reads them with the caller's roles), so they are not asked again.
    They are ignored for a superuser, whose scope is every infant.
    """
    if not user.is_authenticated:
        return Infant.objects.none()
    if user.is_superuser:
        return Infant.objects.all()
    # The clinic ids as values, read first: with a subquery PostgreSQL cannot use the infant
    # indexes that lead with the clinic, and sorts and counts every infant of every clinic
    # (docs/BENCHMARKS.md: 130 ms against 8 ms for a page of 50 at 100,000 infants).
    if clinic_ids is None:
        clinic_ids = list(clinics_for(user).values_list("id", flat=True))
    return Infant.objects.filter(clinic_id__in=clinic_ids)


def active_infant_count(user: User, *, clinic_ids: Collection[uuid.UUID] | None = None) -> int:
    """How many active (not voided) infants `clinic_infants_for` gives the user.

    On PostgreSQL the infant table's triggers keep each clinic's count as rows change
    (`InfantCountChange`), so this reads a few rows whatever the cohort's size instead of counting
    a clinic of 100,000 infants on every page of the list (docs/BENCHMARKS.md, infant list).
    SQLite keeps no count and the rows are counted.
    """
    if connection.vendor != "postgresql":
        return (
            clinic_infants_for(user, clinic_ids=clinic_ids).filter(voided_at__isnull=True).count()
        )
    if not user.is_authenticated:
        return 0
    changes = _count_changes(user, clinic_ids)
    return changes.aggregate(count=Sum("change", default=0))["count"]


def active_infant_count_column(
    user: User, *, clinic_ids: Collection[uuid.UUID] | None = None
) -> Expression | None:
    """`active_infant_count` as a column another query can carry, so a page of the list reads its
    rows and the count in one statement; None where no count is kept (SQLite, or no caller)."""
    if connection.vendor != "postgresql" or not user.is_authenticated:
        return None
    total = aggregate_column(_count_changes(user, clinic_ids), Sum("change"))
    return Coalesce(total, 0, output_field=IntegerField())


def aggregate_column(queryset: QuerySet, aggregate: Aggregate) -> Subquery:
    """``aggregate`` over the rows of ``queryset`` as a column another query can carry. Grouped by
    a constant, which leaves no GROUP BY: one row whatever the rows (a count of 0, a null sum)."""
    return Subquery(
        queryset.order_by().annotate(_all=Value(1)).values("_all").annotate(v=aggregate).values("v")
    )


def _count_changes(user: User, clinic_ids: Collection[uuid.UUID] | None) -> QuerySet:
    changes = InfantCountChange.objects.all()
    if user.is_superuser:
        return changes
    if clinic_ids is None:
        clinic_ids = list(clinics_for(user).values_list("id", flat=True))
    return changes.filter(clinic_id__in=clinic_ids)


def guardian_of(user: User) -> Guardian | None:
    """The user's own guardian row, when they are an active guardian."""
    if not user.is_authenticated:
        return None
    return Guardian.objects.active().filter(user=user).first()


def children_of(user: User) -> QuerySet[Infant]:
    """The active infants the user is an active guardian of: what a parent may see."""
    if not user.is_authenticated:
        return Infant.objects.none()
    guardianships = InfantGuardian.objects.filter(
        guardian__user=user, guardian__voided_at__isnull=True, voided_at__isnull=True
    )
    return Infant.objects.active().filter(id__in=guardianships.values("infant_id"))


def guardians_for(user: User) -> QuerySet[Guardian]:
    """Guardians of the infants of the user's clinics, and the user's own guardian row."""
    if not user.is_authenticated:
        return Guardian.objects.none()
    if user.is_superuser:
        return Guardian.objects.all()
    of_clinic = InfantGuardian.objects.filter(infant__clinic__in=clinics_for(user).values("id"))
    return Guardian.objects.filter(Q(id__in=of_clinic.values("guardian_id")) | Q(user=user))


def messages_for(user: User) -> QuerySet[PlannedMessage]:
    """Reminders of the infants of the user's clinics, and the reminders sent to the user."""
    if not user.is_authenticated:
        return PlannedMessage.objects.none()
    if user.is_superuser:
        return PlannedMessage.objects.all()
    return PlannedMessage.objects.filter(
        Q(infant__clinic__in=clinics_for(user).values("id"))
        | Q(guardian__user=user, guardian__voided_at__isnull=True)
    )


def administered_clinics_for(user: User) -> QuerySet[Clinic]:
    """Clinics whose configuration (regimens, closing days) the user administers."""
    if not user.is_authenticated:
        return Clinic.objects.none()
    if user.is_superuser:
        return Clinic.objects.all()
    return Clinic.objects.filter(
        memberships__user=user, memberships__is_active=True, memberships__role=Role.ADMINISTRATOR
    ).distinct()


def access_log_for(user: User) -> QuerySet[RecordAccess]:
    """Reads of the records of the clinics the user leads (patients, mothers, guardians, lists)."""
    if not user.is_authenticated:
        return RecordAccess.objects.none()
    if user.is_superuser:
        return RecordAccess.objects.all()
    return RecordAccess.objects.filter(clinic__in=lead_clinics_for(user).values("id"))
