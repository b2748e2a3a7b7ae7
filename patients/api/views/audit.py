"""The access log: who read which patient's record, for the leads of the patient's clinic."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from patients import models as m
from patients.api import filters
from patients.api.permissions import LEAD
from patients.api.serializers.audit import RecordAccessSerializer
from patients.api.views.base import ApiViewSet
from patients.selectors import access_log_for


@extend_schema_view(
    list=extend_schema(summary="Reads of the records of the infants of the clinics you lead"),
)
class AccessLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = m.RecordAccess
    scope = staticmethod(access_log_for)
    roles = {"*": (LEAD,)}
    serializer_class = RecordAccessSerializer
    filterset_class = filters.RecordAccessFilter
    ordering_fields = ["at"]
    ordering = ["-at", "id"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("user")
