"""Guardians and their preferences, mothers, infants, and a parent's view of their children."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Expression, F, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.settings import api_settings

from patients import models as m
from patients.api import filters, scopes
from patients.api.pagination import PageNumberPagination
from patients.api.permissions import CLINICAL, GUARDIAN, LEAD, caller_roles
from patients.api.serializers.people import (
    ChildSerializer,
    GuardianSerializer,
    InfantSerializer,
    MotherSerializer,
)
from patients.api.views.base import ApiViewSet, AuditedReadMixin, HistoryMixin, VoidMixin
from patients.api.views.writes import CreateMixin, UpdateMixin
from patients.models.treatment import PlannedDoseStatus
from patients.services.records import create_record, update_record
from patients.services.reminders import update_reminder_preferences

#: Query parameters that page or order a list without choosing its rows.
_NOT_FILTERS = frozenset(
    {
        PageNumberPagination.page_query_param,
        PageNumberPagination.page_size_query_param,
        api_settings.ORDERING_PARAM,
        api_settings.URL_FORMAT_OVERRIDE,
    }
)


@extend_schema_view(
    list=extend_schema(summary="Guardians of the caller's clinics, or the caller's own row"),
    partial_update=extend_schema(
        summary="Change reminder preferences",
        description="Language, time zone, contact details, channels, reminder times and quiet "
        "hours. The guardian's reminders are re-planned at once.",
    ),
)
class GuardianViewSet(AuditedReadMixin, UpdateMixin, HistoryMixin, ApiViewSet):
    model = m.Guardian
    scope = staticmethod(scopes.guardians)
    roles = {"*": (CLINICAL, GUARDIAN), "history": (LEAD,)}
    serializer_class = GuardianSerializer
    filterset_class = filters.GuardianFilter
    ordering_fields = ["created_at"]
    ordering = ["user__last_name", "user__first_name", "id"]
    infant_path = None

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return super().with_related(queryset).select_related("user")

    def perform_update(self, row, data: dict[str, Any], request) -> m.Guardian:
        return update_reminder_preferences(guardian=row, actor=request.user, **data)


class MotherViewSet(
    AuditedReadMixin, CreateMixin, UpdateMixin, VoidMixin, HistoryMixin, ApiViewSet
):
    model = m.Mother
    scope = staticmethod(scopes.mothers)
    serializer_class = MotherSerializer
    filterset_class = filters.MotherFilter
    ordering_fields = ["family_name", "given_name", "created_at"]
    ordering = ["family_name", "given_name", "id"]
    infant_path = None

    def perform_write(self, data, request) -> m.Mother:
        return create_record(m.Mother, actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.Mother:
        return update_record(row, actor=request.user, **data)


class InfantViewSet(
    AuditedReadMixin, CreateMixin, UpdateMixin, VoidMixin, HistoryMixin, ApiViewSet
):
    model = m.Infant
    scope = staticmethod(scopes.infants)
    serializer_class = InfantSerializer
    filterset_class = filters.InfantFilter
    ordering_fields = ["family_name", "given_name", "birth_date", "record_number", "created_at"]
    ordering = ["family_name", "given_name", "id"]
    infant_path = None

    def infant_of(self, row: m.Infant) -> m.Infant:
        return row

    def scoped_rows(self) -> QuerySet[m.Infant]:
        # The role check has read the caller's clinics with their roles, in this request: the
        # scope takes them from there instead of asking for them again (docs/BENCHMARKS.md,
        # infant detail).
        clinic_ids = caller_roles(self.request).clinical_clinic_ids
        return scopes.infants(self.request.user, clinic_ids=clinic_ids)

    def _lists_every_active_infant(self) -> bool:
        """Whether this request lists every active infant in the caller's scope: no filter but
        the default record status, whose count the database keeps."""
        if self.action != "list":
            return False  # an infant's history pages through its versions, not the infants
        if set(self.request.query_params) <= _NOT_FILTERS:
            return True
        asked = self.filterset_class(
            self.request.query_params, queryset=m.Infant.objects.none(), request=self.request
        )
        if not asked.is_valid():
            return False  # the filter backend answers with the errors
        chosen = {k: v for k, v in asked.form.cleaned_data.items() if v not in (None, "", [])}
        return chosen.pop("record_status", "active") == "active" and not chosen

    def known_count(self) -> int | None:
        """The list's count, kept by the database, when the list is every active infant in the
        caller's scope; None when a filter narrows it and the rows must be counted. Counting
        100,000 infants took most of a page's time (docs/BENCHMARKS.md, infant list)."""
        if not self._lists_every_active_infant():
            return None
        clinic_ids = caller_roles(self.request).clinical_clinic_ids
        return scopes.active_infants_count(self.request.user, clinic_ids=clinic_ids)

    def known_count_column(self) -> Expression | None:
        """The kept count as a column of the page's rows (PostgreSQL), so the page and its count
        are one statement: the count's own round trip was a tenth of the list's time."""
        if not self._lists_every_active_infant():
            return None
        clinic_ids = caller_roles(self.request).clinical_clinic_ids
        return scopes.active_infants_count_column(self.request.user, clinic_ids=clinic_ids)

    def perform_write(self, data, request) -> m.Infant:
        return create_record(m.Infant, actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.Infant:
        return update_record(row, actor=request.user, **data)


# The earliest calendar date that is still "today" somewhere (UTC-12): a parent's list of visits
# to come starts there, then each child's clinic narrows it to its own today.
_EARLIEST_ZONE_OFFSET = datetime.timedelta(hours=12)
_SHOWN_DOSE_STATUSES = (
    PlannedDoseStatus.PLANNED,
    PlannedDoseStatus.GIVEN,
    PlannedDoseStatus.MISSED,
)


@extend_schema_view(
    list=extend_schema(summary="The caller's children with their dose plan and visits to come"),
    retrieve=extend_schema(summary="One of the caller's children with their plan and visits"),
)
class ChildViewSet(AuditedReadMixin, ApiViewSet):
    """A guardian's own children: the schedule of doses and the booked visits, nothing clinical."""

    model = m.Infant
    scope = staticmethod(scopes.children)
    roles = {"*": (GUARDIAN,)}
    serializer_class = ChildSerializer
    filterset_class = None
    ordering_fields = ["birth_date", "given_name"]
    ordering = ["birth_date", "id"]
    infant_path = None

    def infant_of(self, row: m.Infant) -> m.Infant:
        return row

    def infant_scope(self, user):
        return scopes.children(user)

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return super().with_related(queryset).select_related("clinic")

    def get_serializer(self, *args: Any, **kwargs: Any):
        rows = args[0] if args else None
        if rows is not None:
            self._attach_schedule(list(rows) if kwargs.get("many") else [rows])
        return super().get_serializer(*args, **kwargs)

    def _attach_schedule(self, children: list[m.Infant]) -> None:
        """The current plan of doses and the visits to come of every child shown, in two queries
        whatever the number of children."""
        ids = [child.pk for child in children]
        doses: dict[Any, list[m.PlannedDose]] = defaultdict(list)
        for dose in (
            m.PlannedDose.objects.active()
            .filter(
                course__infant__in=ids,
                course__voided_at__isnull=True,
                status__in=_SHOWN_DOSE_STATUSES,
            )
            .annotate(child_id=F("course__infant_id"))
            .order_by("due_on", "number")
        ):
            doses[dose.child_id].append(dose)
        earliest = (timezone.now() - _EARLIEST_ZONE_OFFSET).date()
        visits: dict[Any, list[m.Visit]] = defaultdict(list)
        for visit in (
            m.Visit.objects.active()
            .filter(infant__in=ids, visit_date__gte=earliest)
            .order_by("visit_date", "created_at")
        ):
            visits[visit.infant_id].append(visit)
        for child in children:
            today = child.clinic.today()
            child.schedule_doses = doses[child.pk]
            child.schedule_visits = [v for v in visits[child.pk] if v.visit_date >= today]
