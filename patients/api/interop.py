"""Interoperability endpoints: an infant's record as FHIR R4, and the lead's de-identified cohort.

Both answer only what the caller's scope holds, and both write the access log. Authentication and
permissions are set here rather than taken from the project defaults, so a change of defaults
cannot open them.
"""

from __future__ import annotations

import json

from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from patients.interop.fhir import FHIR_VERSION, MEDIA_TYPE, build_bundle
from patients.interop.record import load_infant_record
from patients.models import AccessAction, Infant
from patients.selectors import clinics_for, lead_clinics_for
from patients.services.audit import log_access
from patients.services.exports import cohort_for, cohort_rows, stream_csv

TAGS = ["interoperability"]


class FhirJsonRenderer(BaseRenderer):
    """FHIR's JSON media type, naming the FHIR version (FHIR R4 http.html#mime-type)."""

    media_type = "application/fhir+json"
    format = "fhir"
    charset = None  # JSON is UTF-8 by definition

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


class FirstRendererOnly(BaseContentNegotiation):
    """These endpoints have one format each: answer in it whatever the Accept header asks, rather
    than refuse a client that sends "Accept: application/json" with a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LeadsOnly(BasePermission):
    """Clinic leads (and superusers): the cohort is theirs to study."""

    message = "Only a clinic lead may export the cohort."

    def has_permission(self, request, view) -> bool:
        return lead_clinics_for(request.user).exists()


def _no_store(response):
    # Patient data: never kept by a browser or a shared cache.
    patch_cache_control(response, no_store=True, private=True)
    return response


class InfantFhirView(APIView):
    """The infant's record as a FHIR R4 Bundle, for staff and leads of the infant's clinic."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = FirstRendererOnly

    @extend_schema(
        tags=TAGS,
        operation_id="infant_fhir_bundle",
        summary="The infant's record as a FHIR R4 Bundle",
        description=(
            f"A Bundle of type `collection` in FHIR {FHIR_VERSION} (R4): Patient, the mother as "
            "RelatedPerson, Encounters, growth and laboratory Observations (LOINC, UCUM, the "
            "comparator of censored results, interpretation from the stored flag), imaging "
            "DiagnosticReports with their findings, Denver II Observations, a MedicationRequest "
            "per treatment course and a MedicationAdministration per dose given. Voided rows are "
            "left out. Staff and leads of the infant's clinic only; any other caller gets 404."
        ),
        responses={
            (200, "application/fhir+json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="FHIR R4 Bundle (resourceType Bundle, type collection).",
                examples=[
                    OpenApiExample(
                        "Bundle",
                        value={
                            "resourceType": "Bundle",
                            "type": "collection",
                            "timestamp": "2026-11-21T09:00:00+00:00",
                            "entry": [
                                {
                                    "fullUrl": "urn:uuid:3f1c...",
                                    "resource": {"resourceType": "Patient", "id": "3f1c..."},
                                }
                            ],
                        },
                    )
                ],
            ),
            (401, "application/fhir+json"): OpenApiResponse(description="Not signed in."),
            (404, "application/fhir+json"): OpenApiResponse(
                description="No such infant in the caller's clinics."
            ),
        },
    )
    def get(self, request, pk):
        # Clinical scope only: a guardian's own child or an administrator's clinic is not enough.
        scope = Infant.objects.active().filter(clinic__in=clinics_for(request.user).values("id"))
        try:
            record = load_infant_record(scope, pk)
        except Infant.DoesNotExist:
            raise Http404 from None
        bundle = build_bundle(record, now=timezone.now())
        log_access(
            request,
            action=AccessAction.READ,
            resource=Infant,
            infant=record.infant,
            object_id=record.infant.id,
        )
        return _no_store(Response(bundle, content_type=MEDIA_TYPE))


class CohortExportView(APIView):
    """The de-identified cohort of the clinics the caller leads, as CSV."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, LeadsOnly]
    # Errors (401, 403) are JSON; the export itself is streamed CSV.
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRendererOnly

    @extend_schema(
        tags=TAGS,
        operation_id="cohort_export_csv",
        summary="De-identified cohort export (CSV)",
        description=(
            "One row per infant of the clinics the caller leads: no names, record numbers or "
            "calendar dates; birth year only; ages in days or months from birth, days counted "
            "from the first B12 dose; a random pseudonym drawn afresh for every export. Columns: "
            "see patients.services.exports.COLUMNS. Clinic leads and superusers only."
        ),
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description="CSV with a header row."
            ),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="The caller leads no clinic."),
        },
    )
    def get(self, request):
        log_access(request, action=AccessAction.EXPORT, resource=Infant)
        response = StreamingHttpResponse(
            stream_csv(cohort_rows(cohort_for(request.user))), content_type="text/csv"
        )
        response["Content-Disposition"] = 'attachment; filename="cohort.csv"'
        return _no_store(response)
