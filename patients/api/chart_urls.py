"""Chart endpoints under /api/v1/: PNG and SVG of an infant's charts and of the cohort charts, and
an infant's PDF reports.

The converters take only the names and formats that exist, so anything else is a 404 from the
URL resolver before any view runs.
"""

from __future__ import annotations

from django.urls import path, register_converter

from patients.api.charts import (
    IMAGE_FORMATS,
    REPORTS,
    CohortChartView,
    InfantChartView,
    InfantReportView,
)


class _Choice:
    choices: tuple[str, ...] = ()

    @property
    def regex(self) -> str:
        return "|".join(self.choices)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ImageFormatConverter(_Choice):
    choices = IMAGE_FORMATS


class ReportConverter(_Choice):
    choices = REPORTS


class ChartNameConverter(_Choice):
    # Names are checked by the service (404 for an unknown one); the URL only keeps them plain.
    regex = "[a-z0-9]+(?:-[a-z0-9]+)*"  # type: ignore[assignment]


register_converter(ImageFormatConverter, "chart_image_format")
register_converter(ReportConverter, "chart_report")
register_converter(ChartNameConverter, "chart_name")

urlpatterns = [
    path(
        "infants/<uuid:pk>/charts/<chart_name:name>.<chart_image_format:image_format>",
        InfantChartView.as_view(),
        name="api-infant-chart",
    ),
    path(
        "cohort/charts/<chart_name:name>.<chart_image_format:image_format>",
        CohortChartView.as_view(),
        name="api-cohort-chart",
    ),
    path(
        "infants/<uuid:pk>/reports/<chart_report:report>.pdf",
        InfantReportView.as_view(),
        name="api-infant-report",
    ),
]
