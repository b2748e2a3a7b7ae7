"""Chart and report endpoints: an infant's charts (PNG, SVG), the leads' cohort charts, and the
visit summary and take-home plan (PDF).

Every answer is scoped by ``patients.services.charts`` (404 outside the caller's scope, whether the
infant exists or not), writes the access log, and says ``Cache-Control: private``: a chart may
stay in the reader's own browser, never in a shared cache. Charts carry their alt text in the
``Chart-Alt-Text`` header (ASCII; the SVG also holds it as its ``<title>`` and ``<desc>``) and an
ETag, so a browser asking again with ``If-None-Match`` gets 304 without a byte of image.
Authentication and permissions are set here, not taken from the project defaults.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from patients.charts.cohort_data import STRATIFICATIONS, CohortFilters
from patients.charts.style import ascii_text
from patients.models import AccessAction
from patients.models.people import PresentingSignCode, Sex
from patients.selectors import lead_clinics_for
from patients.services import charts as chart_service
from patients.services.audit import log_access

TAGS = ["charts"]
REPORTS = ("visit-summary", "take-home-plan")
IMAGE_FORMATS = ("png", "svg")
_ALT_HEADER = "Chart-Alt-Text"
_TITLE_HEADER = "Chart-Title"


class _FirstRenderer(BaseContentNegotiation):
    """Images and PDFs are answered as such whatever ``Accept`` says; errors are JSON. Without
    this, "Accept: image/png" would be refused with 406 before the scope is even checked."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class LeadsOnly(BasePermission):
    message = "Only a clinic lead may read the cohort charts."

    def has_permission(self, request, view) -> bool:
        return lead_clinics_for(request.user).exists()


class _ChartBase(APIView):
    # Token first: its WWW-Authenticate header is what makes an anonymous call a 401, not a 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _FirstRenderer


def _image_response(request, chart: chart_service.RenderedChart) -> HttpResponse:
    etag = f'"{chart.key.removeprefix("charts:")}"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(chart.content, content_type=chart.content_type)
    response["ETag"] = etag
    response[_ALT_HEADER] = ascii_text(chart.alt_text)
    response[_TITLE_HEADER] = ascii_text(chart.title)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_cache=True)
    return response


# drf-spectacular names a path's "pk" "id" in the schema.
_INFANT_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The infant's id."
)
_IMAGE_FORMAT = OpenApiParameter(
    "image_format",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(IMAGE_FORMATS),
    description="PNG for pages and print, SVG to scale (its text stays text).",
)
_IMAGE_RESPONSES = {
    (200, "image/png"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The chart, as PNG or as SVG."
    ),
    (200, "image/svg+xml"): OpenApiResponse(
        response=OpenApiTypes.BINARY, description="The chart as SVG (text kept as text)."
    ),
    304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match."),
    401: OpenApiResponse(description="Not signed in."),
}
_RESPONSE_HEADERS = [
    OpenApiParameter(
        _ALT_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="What the chart shows, in words (ASCII), for readers who cannot see it.",
    ),
    OpenApiParameter(_TITLE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, response=True),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="Changes whenever the data behind the chart changes.",
    ),
]


class InfantChartView(_ChartBase):
    """One of an infant's charts, for staff and leads of the infant's clinic."""

    @extend_schema(
        tags=TAGS,
        operation_id="infant_chart",
        summary="An infant's chart (PNG or SVG)",
        description=(
            "growth-wfa, growth-lhfa, growth-hcfa, growth-wfl: WHO Child Growth Standards 2006 "
            "centiles (3rd, 15th, 50th, 85th, 97th) with the infant's measurements, at corrected "
            "age where it applies. trajectory: milestones against WHO motor windows and Denver II "
            "bars, with treatment phases, MRI studies and adverse events. denver: Denver II "
            "developmental age per sector against the age line. labs: B12, haemoglobin, MCV, "
            "homocysteine and MMA against days since the first B12 dose, censored results as open "
            "markers at their limit. Staff and leads of the infant's clinic; anyone else gets 404."
        ),
        parameters=[
            _INFANT_ID,
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(chart_service.INFANT_CHARTS),
                description="Which chart of the infant.",
            ),
            _IMAGE_FORMAT,
            *_RESPONSE_HEADERS,
        ],
        responses={
            **_IMAGE_RESPONSES,
            404: OpenApiResponse(description="No such chart, or no such infant in your clinics."),
        },
    )
    def get(self, request, pk, name, image_format):
        try:
            infant, chart = chart_service.infant_chart(
                user=request.user, infant_id=pk, name=name, image_format=image_format
            )
        except chart_service.NotInScope:
            raise Http404 from None
        log_access(
            request,
            action=AccessAction.READ,
            resource=f"chart:{name}",
            infant=infant,
            object_id=infant.pk,
        )
        return _image_response(request, chart)


class CohortFilterSerializer(serializers.Serializer):
    """Which infants a cohort chart counts, and how it splits them into groups."""

    diagnosis_age_min_months = serializers.FloatField(
        required=False, min_value=0, max_value=72, help_text="Diagnosed at this age or older."
    )
    diagnosis_age_max_months = serializers.FloatField(
        required=False, min_value=0, max_value=72, help_text="Diagnosed younger than this age."
    )
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    sign = serializers.ListField(
        child=serializers.ChoiceField(choices=PresentingSignCode.choices),
        required=False,
        help_text="Presenting sign; repeat to require several.",
    )
    mri_severity = serializers.ChoiceField(
        choices=["severe", "moderate", "mild", "normal", "none"],
        required=False,
        help_text="Worst severity on the first brain MRI; none: no MRI recorded.",
    )
    regimen = serializers.CharField(required=False, max_length=80, help_text="Regimen key.")
    diagnosed_from = serializers.DateField(
        required=False, help_text="Only infants diagnosed on or after this day."
    )
    diagnosed_to = serializers.DateField(
        required=False, help_text="Only infants diagnosed on or before this day."
    )
    stratify = serializers.ChoiceField(
        choices=list(STRATIFICATIONS), required=False, default="age_at_diagnosis"
    )

    def validate(self, attrs):
        low, high = attrs.get("diagnosis_age_min_months"), attrs.get("diagnosis_age_max_months")
        if low is not None and high is not None and low >= high:
            raise serializers.ValidationError(
                {"diagnosis_age_max_months": "Must be above diagnosis_age_min_months."}
            )
        start, end = attrs.get("diagnosed_from"), attrs.get("diagnosed_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"diagnosed_to": "Must not be before diagnosed_from."}
            )
        return attrs

    def filters(self) -> CohortFilters:
        data = self.validated_data
        return CohortFilters(
            diagnosis_age_min_months=data.get("diagnosis_age_min_months"),
            diagnosis_age_max_months=data.get("diagnosis_age_max_months"),
            sex=data.get("sex"),
            signs=tuple(sorted(set(data.get("sign", ())))),
            mri_severity=data.get("mri_severity"),
            regimen=data.get("regimen"),
            diagnosed_from=data.get("diagnosed_from"),
            diagnosed_to=data.get("diagnosed_to"),
            stratify=data.get("stratify", "age_at_diagnosis"),
        )


class CohortChartView(_ChartBase):
    """A cohort chart over the clinics the caller leads."""

    permission_classes = [IsAuthenticated, LeadsOnly]

    @extend_schema(
        tags=TAGS,
        operation_id="cohort_chart",
        summary="A cohort chart for clinic leads (PNG or SVG)",
        description=(
            "km-milestones: time from the first B12 dose to each milestone; km-labs: time to B12 "
            "and haemoglobin normalisation; retention: time in follow-up; all Kaplan-Meier with "
            "censoring. denver-3y: Denver II results at three years; adherence: doses on time by "
            "treatment phase. Groups (stratify) default to age at diagnosis (< 10, 10 to < 13, "
            ">= 13 months). Any group of fewer than 5 infants is suppressed, never drawn."
        ),
        parameters=[
            CohortFilterSerializer,
            OpenApiParameter(
                "name",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(chart_service.COHORT_CHARTS),
                description="Which cohort chart.",
            ),
            _IMAGE_FORMAT,
            *_RESPONSE_HEADERS,
        ],
        responses={
            **_IMAGE_RESPONSES,
            400: OpenApiResponse(description="A filter that is not valid, by field."),
            403: OpenApiResponse(description="The caller leads no clinic."),
            404: OpenApiResponse(description="No such chart."),
        },
    )
    def get(self, request, name, image_format):
        given = CohortFilterSerializer(
            data={
                **{key: value for key, value in request.query_params.items() if key != "sign"},
                **(
                    {"sign": request.query_params.getlist("sign")}
                    if "sign" in request.query_params
                    else {}
                ),
            }
        )
        given.is_valid(raise_exception=True)
        try:
            chart = chart_service.cohort_chart(
                user=request.user, name=name, image_format=image_format, filters=given.filters()
            )
        except chart_service.NotInScope:
            raise Http404 from None
        log_access(request, action=AccessAction.EXPORT, resource=f"cohort-chart:{name}")
        return _image_response(request, chart)


class InfantReportView(_ChartBase):
    """The visit summary (staff and leads of the infant's clinic) or the take-home plan (also the
    infant's own guardians), as PDF."""

    @extend_schema(
        tags=TAGS,
        operation_id="infant_report",
        summary="An infant's visit summary or take-home plan (PDF)",
        description=(
            "visit-summary: one page for staff (growth, latest B12 panel, Denver II sectors, "
            "adherence since the last visit, open follow-ups). take-home-plan: the next doses and "
            "visits in plain words, in Turkish or English (lang; by default the guardian's "
            "language), for staff, leads and the infant's own guardians. Anyone else gets 404."
        ),
        parameters=[
            _INFANT_ID,
            OpenApiParameter(
                "report",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=list(REPORTS),
                description="The visit summary for staff, or the guardian's take-home plan.",
            ),
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                enum=["tr", "en"],
                description="Take-home plan only: the language to print it in.",
            ),
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="A4 PDF."
            ),
            401: OpenApiResponse(description="Not signed in."),
            404: OpenApiResponse(description="No such report, or no such infant in your scope."),
        },
    )
    def get(self, request, pk, report):
        try:
            if report == "visit-summary":
                infant, content = chart_service.visit_summary_pdf(user=request.user, infant_id=pk)
                language = "en"
            elif report == "take-home-plan":
                infant, content, language = chart_service.take_home_plan_pdf(
                    user=request.user, infant_id=pk, language=request.query_params.get("lang")
                )
            else:
                raise chart_service.NotInScope
        except chart_service.NotInScope:
            raise Http404 from None
        log_access(
            request,
            action=AccessAction.READ,
            resource=f"report:{report}",
            infant=infant,
            object_id=infant.pk,
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{report}.pdf"'
        response["Content-Language"] = language
        patch_cache_control(response, private=True, no_store=True)
        return response
