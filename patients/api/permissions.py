"""Who may call which endpoint: roles first (403), then each row's scope (404, in the querysets).

A role decides whether an endpoint is open to the caller at all; it never grants a row. Rows come
from the scoped selectors, so a record outside the caller's scope answers 404 whatever the role.
"""

from __future__ import annotations

import uuid
from functools import cached_property

from django.db.models import QuerySet, UUIDField, Value
from rest_framework.permissions import BasePermission

from patients.compiled import CompiledRead
from patients.models import ClinicMembership, Guardian, Role, User
from patients.selectors import CLINICAL_ROLES, guardian_of

# Role names as the views declare them.
CLINICAL = "clinical"  # staff or lead of at least one clinic
LEAD = "lead"
ADMINISTRATOR = "administrator"
GUARDIAN = "guardian"


def _memberships_of(user: uuid.UUID) -> QuerySet:
    # Unordered: the model's ordering by clinic would join the clinic table for nothing.
    return (
        ClinicMembership.objects.filter(user=user, is_active=True)
        .order_by()
        .values_list("role", "clinic_id")
    )


def _roles_and_guardianship_of(user: uuid.UUID) -> QuerySet:
    # The rule of `selectors.guardian_of`: the user's own guardian row, not voided.
    guardianship = (
        Guardian.objects.active()
        .filter(user=user)
        .order_by()
        .values_list(Value(GUARDIAN), Value(None, output_field=UUIDField()))
    )
    return _memberships_of(user).union(guardianship, all=True)


# Read on every request that checks a role: compiled once (patients.compiled), as compiling them
# cost more than the database's answer.
_MEMBERSHIPS = CompiledRead(_memberships_of, user=User._meta.pk)
_ROLES_AND_GUARDIANSHIP = CompiledRead(_roles_and_guardianship_of, user=User._meta.pk)


class CallerRoles:
    """The caller's roles, read once per request (one query each, and only when asked)."""

    def __init__(self, user: User, *, with_guardian: bool = False) -> None:
        self.user = user
        #: Read whether the caller is a guardian with the memberships: the pages do, as their
        #: navigation asks every role; an API endpoint asks one or two and reads only those.
        self.with_guardian = with_guardian

    @cached_property
    def _rows(self) -> tuple[tuple[str, uuid.UUID | None], ...]:
        """The active memberships as (role, clinic id) and, when read ``with_guardian`` and the
        caller is an active guardian, a row (GUARDIAN, None): one query, compiled once."""
        if not self.user.is_authenticated:
            return ()
        read = _ROLES_AND_GUARDIANSHIP if self.with_guardian else _MEMBERSHIPS
        return tuple(read.rows(user=self.user.pk))

    @cached_property
    def _is_guardian(self) -> bool:
        if self.with_guardian:
            return any(role == GUARDIAN for role, _ in self._rows)
        return guardian_of(self.user) is not None

    @cached_property
    def _memberships(self) -> tuple[tuple[str, uuid.UUID], ...]:
        return tuple((role, clinic) for role, clinic in self._rows if role != GUARDIAN)

    @cached_property
    def _membership_roles(self) -> frozenset[str]:
        if not self.user.is_authenticated:
            return frozenset()
        if self.user.is_superuser:
            return frozenset(Role.values)
        return frozenset(role for role, _ in self._memberships)

    @cached_property
    def clinical_clinic_ids(self) -> list[uuid.UUID] | None:
        """The clinics ``clinics_for`` gives the caller (staff or lead, active), read with the
        roles; None for a superuser, whose clinics are every clinic and are not read here. The
        access log's clinic column reads them, and the infant endpoints hand them to their scope
        (``clinic_infants_for``) in place of asking ``clinics_for`` again, so this must keep the
        very rule of ``clinics_for``."""
        if not self.user.is_authenticated:
            return []
        if self.user.is_superuser:
            return None
        return [clinic for role, clinic in self._memberships if role in CLINICAL_ROLES]

    def has(self, role: str) -> bool:
        if role == GUARDIAN:
            return self._is_guardian
        if role == CLINICAL:
            return bool(self._membership_roles & {Role.STAFF, Role.LEAD})
        if role == LEAD:
            return Role.LEAD in self._membership_roles
        if role == ADMINISTRATOR:
            return Role.ADMINISTRATOR in self._membership_roles
        raise ValueError(f"unknown role {role!r}")


def caller_roles(request, *, with_guardian: bool = False) -> CallerRoles:
    """The request's roles, read once: ``with_guardian`` decides how, when this is the first
    call of the request."""
    roles = getattr(request, "_caller_roles", None)
    if roles is None or roles.user is not request.user:
        roles = CallerRoles(request.user, with_guardian=with_guardian)
        request._caller_roles = roles
    return roles


class HasRole(BasePermission):
    """Open when the caller holds one of the roles the view names for the action.

    Views declare ``roles``: a mapping of action name to role names, with ``"*"`` for every
    action not named.
    """

    message = "Your role does not give access to this endpoint."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        wanted = view.roles.get(view.action, view.roles["*"])
        roles = caller_roles(request)
        return any(roles.has(role) for role in wanted)
