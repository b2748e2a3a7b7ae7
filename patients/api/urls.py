"""The REST API under /api/v1/: resources by UUID, the schema and its documentation."""

from __future__ import annotations

from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

from patients.api.views.audit import AccessLogViewSet
from patients.api.views.auth import ObtainTokenView
from patients.api.views.configuration import ClinicViewSet, RegimenViewSet
from patients.api.views.development import DenverAssessmentViewSet, MilestoneAttainmentViewSet
from patients.api.views.messaging import AlertViewSet, ReminderViewSet
from patients.api.views.people import ChildViewSet, GuardianViewSet, InfantViewSet, MotherViewSet
from patients.api.views.records import (
    GrowthMeasurementViewSet,
    ImagingFindingViewSet,
    ImagingStudyViewSet,
    LabResultViewSet,
    VisitViewSet,
)
from patients.api.views.treatment import (
    AdverseEventViewSet,
    DoseAdministrationViewSet,
    PlannedDoseViewSet,
    TreatmentCourseViewSet,
)

# Path converters rather than regular expressions: an id that is not a UUID never reaches a view.
router = SimpleRouter(use_regex_path=False)
router.register("guardians", GuardianViewSet, basename="guardian")
router.register("mothers", MotherViewSet, basename="mother")
router.register("infants", InfantViewSet, basename="infant")
router.register("children", ChildViewSet, basename="child")
router.register("visits", VisitViewSet, basename="visit")
router.register("growth-measurements", GrowthMeasurementViewSet, basename="growth-measurement")
router.register("lab-results", LabResultViewSet, basename="lab-result")
router.register("imaging-studies", ImagingStudyViewSet, basename="imaging-study")
router.register("imaging-findings", ImagingFindingViewSet, basename="imaging-finding")
router.register("denver-assessments", DenverAssessmentViewSet, basename="denver-assessment")
router.register(
    "milestone-attainments", MilestoneAttainmentViewSet, basename="milestone-attainment"
)
router.register("treatment-courses", TreatmentCourseViewSet, basename="treatment-course")
router.register("planned-doses", PlannedDoseViewSet, basename="planned-dose")
router.register("dose-administrations", DoseAdministrationViewSet, basename="dose-administration")
router.register("adverse-events", AdverseEventViewSet, basename="adverse-event")
router.register("alerts", AlertViewSet, basename="alert")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("clinics", ClinicViewSet, basename="clinic")
router.register("regimens", RegimenViewSet, basename="regimen")
router.register("access-log", AccessLogViewSet, basename="access-log")

app_name = "api"

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The documentation pages alone relax the policy: Swagger UI sets inline styles and data:
    # icons, Redoc also runs its search in a blob: worker. Scripts stay same-origin.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"], "img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    path(
        "docs/redoc/",
        csp_update(
            {"style-src": ["'unsafe-inline'"], "img-src": ["data:"], "worker-src": ["blob:"]}
        )(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
    path("", include("patients.api.interop_urls")),
    path("", include("patients.api.chart_urls")),
    *router.urls,
]
