"""Reads scoped to the user: every list of patient data starts here.

Staff and leads see the infants of the clinics where they hold an active membership; guardians
their own children; everyone else nothing. Voided rows are left out unless asked for.
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from patients.models import Clinic, Infant, InfantGuardian, ReviewTask, Role, User

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
    """The worklist's decisions: open-ended phases whose review is due, in the user's clinics."""
    return (
        ReviewTask.objects.active()
        .filter(
            completed_at__isnull=True,
            superseded=False,
            due_on__lte=due_by,
            course__infant__in=infants_for(user),
            course__status="active",
        )
        .select_related("course__infant")
        .order_by("due_on")
    )
