"""Clinic roles and the Django permission groups behind them.

Roles live on ClinicMembership; the groups only carry model permissions for the admin. No group
has a delete permission: clinical rows are voided, never deleted.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from patients.models import Clinic, ClinicMembership, Role, User

CLINICAL_MODELS = (
    "guardian",
    "consent",
    "mother",
    "maternalsupplementation",
    "infant",
    "infantguardian",
    "presentingsign",
    "visit",
    "growthmeasurement",
    "labresult",
    "qualitativefinding",
    "imagingstudy",
    "imagingfinding",
    "denverassessment",
    "denveritemresult",
    "denversectorfinding",
    "milestoneattainment",
    "treatmentcourse",
    "courseevent",
    "planneddose",
    "doseadministration",
    "adverseevent",
    "procedure",
    "growthscore",
    "alert",
    "plannedmessage",
    "reviewtask",
    "calendarfeed",
)
CONFIGURATION_MODELS = (
    "clinic",
    "clinicweeklyclosure",
    "clinicholiday",
    "clinicmembership",
    "user",
    "regimen",
    "growthreference",
    "labreferencerange",
    "denvernormtable",
)

GROUP_NAMES = {
    Role.STAFF: "Clinic staff",
    Role.LEAD: "Clinic leads",
    Role.ADMINISTRATOR: "Administrators",
}


def _permissions(models: tuple[str, ...], actions: tuple[str, ...]) -> list[Permission]:
    codenames = [f"{action}_{model}" for model in models for action in actions]
    return list(
        Permission.objects.filter(content_type__app_label="patients", codename__in=codenames)
    )


def sync_role_groups() -> None:
    """Create or refresh the three role groups; safe to run after every migrate."""
    clinical = _permissions(CLINICAL_MODELS, ("view", "add", "change"))
    plan = {
        Role.STAFF: clinical,
        Role.LEAD: clinical
        + _permissions(
            ("clinic", "clinicmembership", "regimen", "denvernormtable", "recordaccess"), ("view",)
        ),
        Role.ADMINISTRATOR: _permissions(CONFIGURATION_MODELS, ("view", "add", "change")),
    }
    for role, permissions in plan.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.set(permissions)


@transaction.atomic
def add_membership(
    *, user: User, clinic: Clinic, role: str, actor: User | None = None, profession: str = ""
) -> ClinicMembership:
    wanted = {"role": role, "profession": profession, "is_active": True}
    membership = ClinicMembership.objects.filter(user=user, clinic=clinic).first()
    if membership is None:
        membership = ClinicMembership(user=user, clinic=clinic, **wanted)
    elif all(getattr(membership, k) == v for k, v in wanted.items()):
        return membership  # unchanged: no save, so no empty history row
    else:
        for name, value in wanted.items():
            setattr(membership, name, value)
    membership.full_clean()
    membership._history_user = actor
    membership.save()
    sync_user_groups(user)
    return membership


def sync_user_groups(user: User) -> None:
    """Admin access and permissions follow the user's active memberships."""
    roles = set(user.memberships.filter(is_active=True).values_list("role", flat=True))
    user.groups.set(Group.objects.filter(name__in=[GROUP_NAMES[Role(r)] for r in roles]))
    is_staff = bool(roles)
    if user.is_staff != is_staff and not user.is_superuser:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
