"""Charts and reports for a viewer: scope first, then the cache, then the drawing.

Scope. An infant's charts and visit summary are for the staff and leads of the infant's clinic
(``selectors.infants_for`` narrowed to the clinics where the viewer works); the take-home plan also
for the infant's own guardians; cohort charts for leads, over the clinics they lead. Anything
outside that raises :class:`NotInScope`, which the API answers with 404 whether the infant exists
or not.

Cache. A rendered chart is kept in Django's cache under a key that is an HMAC (keyed with the
project's secret) of the chart, the format, the viewer's scope and the data version:

- the scope part is what only an authorised viewer's scope yields: the infant's clinic for an
  infant chart (every member of that clinic shares the entry, nobody else can reach it), the set of
  clinics a lead leads for a cohort chart. A viewer of another clinic is refused before the cache is
  read, and could not compute a key anyway: it needs the secret;
- the data version is one query: for an infant on PostgreSQL, the number its triggers move with
  every statement that writes a row of the record (``models.record_versions``); elsewhere, and for
  a cohort, every kind of row a chart reads (count, latest ``updated_at``, count and latest date
  of the history rows, which also see changes written with ``update()``). Both add the reference
  tables a chart reads (the clinic's lab ranges, the default Denver II table), the chart code
  version and the clinic's date, since charts mark today. Any change to the infant's record, or
  to the cohort, gives a new key; an old entry is never served for new data and simply expires.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Model, QuerySet, Subquery
from django.utils.crypto import salted_hmac

from patients import models as m
from patients.charts import cohort as cohort_drawing
from patients.charts import cohort_data, loader, render
from patients.charts.denver import denver_chart, describe_denver
from patients.charts.growth import describe_growth, growth_chart
from patients.charts.labs import describe_labs, lab_chart
from patients.charts.model import Chart, ChartText, ImageFormat
from patients.charts.trajectory import describe_trajectory, trajectory_chart
from patients.compiled import CompiledRead
from patients.reports import loader as report_loader
from patients.reports import pdf as report_pdf
from patients.reports import phrases
from patients.selectors import (
    aggregate_column,
    children_of,
    clinic_infants_for,
    clinics_for,
    infants_for,
    lead_clinics_for,
)

#: Part of every cache key and data version: raise it when a chart's drawing or data rules change,
#: so no entry drawn by the old code is served.
CHARTS_VERSION = "charts-1"
#: Entries expire on their own; a change of data moves to a new key well before that.
CACHE_SECONDS = 7 * 24 * 3600
_KEY_SALT = "patients.services.charts.cache-key"


@dataclass(frozen=True)
class _InfantChart:
    """How an infant chart reads its data, draws it, and says it in words."""

    load: Callable[[m.Infant, datetime.date], Any]
    draw: Callable[[Any], Chart]
    describe: Callable[[Any], ChartText]


#: The growth charts and the clinical core's indicator each draws.
_GROWTH_CHARTS: dict[str, str] = {
    "growth-wfa": "wfa",
    "growth-lhfa": "lfa",
    "growth-hcfa": "hcfa",
    "growth-wfl": "wfl",
}

_INFANT_CHART_PARTS: dict[str, _InfantChart] = {
    **{
        name: _InfantChart(
            lambda infant, today, indicator=indicator: loader.growth_data(infant, indicator),
            growth_chart,
            describe_growth,
        )
        for name, indicator in _GROWTH_CHARTS.items()
    },
    "trajectory": _InfantChart(
        lambda infant, today: loader.trajectory_data(infant, today=today),
        trajectory_chart,
        describe_trajectory,
    ),
    "denver": _InfantChart(
        lambda infant, today: loader.denver_data(infant), denver_chart, describe_denver
    ),
    "labs": _InfantChart(
        lambda infant, today: loader.lab_data(infant, today=today), lab_chart, describe_labs
    ),
}

INFANT_CHARTS: dict[str, Callable[[m.Infant, datetime.date], Chart]] = {
    name: (lambda infant, today, parts=parts: parts.draw(parts.load(infant, today)))
    for name, parts in _INFANT_CHART_PARTS.items()
}


def infant_chart_text(infant: m.Infant, name: str, *, today: datetime.date) -> ChartText:
    """A chart's title and alt text from its data, with no drawing: what a page needs to show the
    chart's image, which the browser then fetches (and the chart cache serves) on its own."""
    parts = _INFANT_CHART_PARTS[name]
    return parts.describe(parts.load(infant, today))


def infant_chart_texts(
    infant: m.Infant, *, today: datetime.date, version: str | None = None
) -> dict[str, ChartText]:
    """Every infant chart's title and alt text, in the order of ``INFANT_CHARTS``: what the
    infant page shows beside the images.

    Kept in the chart cache under the infant's data version, as the images are (module doc):
    wording them reads every kind of row the charts read, a third of the infant page's time
    (docs/BENCHMARKS.md, staff infant page), while the version is one query. ``version``: the
    infant's data version, when the caller has read it already for today.
    """
    key = cache_key(
        chart="texts",
        image_format="",
        scope=infant_scope(infant),
        version=version or infant_data_version(infant, today=today),
    )
    kept = cache.get(key)
    if kept is not None:
        return {name: ChartText(title, alt_text) for name, title, alt_text in kept}
    texts = _worded_chart_texts(infant, today=today)
    cache.set(key, [(name, t.title, t.alt_text) for name, t in texts.items()], CACHE_SECONDS)
    return texts


def _worded_chart_texts(infant: m.Infant, *, today: datetime.date) -> dict[str, ChartText]:
    """The growth charts share one read of the measurements and their stored scores instead of
    one each."""
    growth = loader.growth_charts_data(infant, _GROWTH_CHARTS.values())
    texts = {}
    for name, parts in _INFANT_CHART_PARTS.items():
        indicator = _GROWTH_CHARTS.get(name)
        data = growth[indicator] if indicator else parts.load(infant, today)
        texts[name] = parts.describe(data)
    return texts


COHORT_CHARTS: dict[str, Callable[[list, cohort_data.CohortFilters, datetime.date], Chart]] = {
    "km-milestones": lambda infants, filters, today: cohort_drawing.survival_chart(
        cohort_data.milestone_chart_data(infants, filters)
    ),
    "km-labs": lambda infants, filters, today: cohort_drawing.survival_chart(
        cohort_data.lab_chart_data(infants, filters)
    ),
    "retention": lambda infants, filters, today: cohort_drawing.survival_chart(
        cohort_data.retention_chart_data(infants, filters)
    ),
    "denver-3y": lambda infants, filters, today: cohort_drawing.bar_chart(
        cohort_data.denver_chart_data(infants, filters)
    ),
    "adherence": lambda infants, filters, today: cohort_drawing.bar_chart(
        cohort_data.adherence_chart_data(infants, filters, today=today)
    ),
}


class NotInScope(Exception):
    """The record is not the viewer's to see (or does not exist: the two are never told apart)."""


@dataclass(frozen=True)
class RenderedChart:
    content: bytes
    content_type: str
    title: str
    alt_text: str
    #: The cache key: opaque, changes with the data, usable as an ETag.
    key: str
    from_cache: bool


# --- Scope ------------------------------------------------------------------------------------------


def clinical_infant(user: m.User, infant_id: uuid.UUID | str) -> m.Infant:
    """An infant of a clinic where ``user`` works as staff or lead: the clinical scope of the
    infant endpoints (`clinic_infants_for`), not voided. Narrowing ``infants_for`` (clinic or own
    child) to the clinics again took 5.1 ms a chart at 100,000 infants, this 3.2 ms."""
    infant = clinic_infants_for(user).active().filter(pk=infant_id).select_related("clinic").first()
    if infant is None:
        raise NotInScope
    return infant


def plan_infant(user: m.User, infant_id: uuid.UUID | str) -> tuple[m.Infant, bool]:
    """An infant whose take-home plan ``user`` may print: of their clinic, or their own child.
    Returns the infant and whether the viewer reads it as its guardian."""
    infant = infants_for(user).filter(pk=infant_id).select_related("clinic").first()
    if infant is None:
        raise NotInScope
    if clinics_for(user).filter(pk=infant.clinic_id).exists():
        return infant, False
    if children_of(user).filter(pk=infant.pk).exists():
        return infant, True
    raise NotInScope


# --- Data version -----------------------------------------------------------------------------------

# Every kind of row a chart reads, and the path from it to the infant.
_CHART_ROWS: tuple[tuple[type[Model], str], ...] = (
    (m.Infant, "id"),
    (m.GrowthMeasurement, "infant_id"),
    (m.LabResult, "infant_id"),
    (m.MilestoneAttainment, "infant_id"),
    (m.DenverAssessment, "infant_id"),
    (m.DenverSectorFinding, "assessment__infant_id"),
    (m.ImagingStudy, "infant_id"),
    (m.ImagingFinding, "study__infant_id"),
    (m.TreatmentCourse, "infant_id"),
    (m.CourseEvent, "course__infant_id"),
    (m.PlannedDose, "course__infant_id"),
    (m.DoseAdministration, "course__infant_id"),
    (m.AdverseEvent, "infant_id"),
    (m.Visit, "infant_id"),
    (m.PresentingSign, "infant_id"),
)


def _version_columns(infants: QuerySet, clinic_ids: list) -> dict[str, Subquery]:
    columns: dict[str, Subquery] = {}
    for model, path in _CHART_ROWS:
        name = model._meta.model_name
        rows = model.objects.filter(**{f"{path}__in": infants})
        history = model.history.model.objects.filter(**{f"{path}__in": infants})
        columns[f"{name}_rows"] = aggregate_column(rows, Count("pk"))
        columns[f"{name}_updated"] = aggregate_column(rows, Max("updated_at"))
        columns[f"{name}_history"] = aggregate_column(history, Count("pk"))
        columns[f"{name}_history_at"] = aggregate_column(history, Max("history_date"))
    return {**columns, **_reference_columns(clinic_ids)}


def _kept_version_columns(infant_ids: QuerySet, clinic_ids: list) -> dict[str, Subquery]:
    """On PostgreSQL: the number its triggers keep for the record (``models.record_versions``)
    in place of counting it, with the same reference data."""
    kept = m.InfantRecordVersion.objects.filter(infant_id__in=infant_ids)
    return {
        "record": Subquery(kept.values("version")[:1]),
        "record_changed_at": Subquery(kept.values("changed_at")[:1]),
        **_reference_columns(clinic_ids),
    }


def _infant_version_columns(vendor: str) -> Callable[[QuerySet, list], dict[str, Subquery]]:
    return _kept_version_columns if vendor == "postgresql" else _version_columns


def _reference_columns(clinic_ids: list) -> dict[str, Subquery]:
    """What a chart reads besides the record: the clinic's lab ranges and the Denver II norms."""
    columns: dict[str, Subquery] = {}
    ranges = m.LabReferenceRange.objects.filter(clinic_id__in=clinic_ids)
    columns["ranges_rows"] = aggregate_column(ranges, Count("pk"))
    columns["ranges_updated"] = aggregate_column(ranges, Max("updated_at"))
    columns["ranges_history"] = aggregate_column(
        m.LabReferenceRange.history.model.objects.filter(clinic_id__in=clinic_ids), Count("pk")
    )
    columns["denver_default"] = Subquery(
        m.DenverNormTable.objects.filter(is_default=True).values("version")[:1]
    )
    return columns


def _digest(parts: object) -> str:
    text = json.dumps(parts, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _infant_version_read(infant: uuid.UUID, clinic: uuid.UUID) -> QuerySet:
    """The infant data-version query: one row, the same statement for every infant but for the
    two ids. Compiled once (patients.compiled): compiling its subqueries (sixty where the rows are
    counted) cost the ORM several times what the database spends running them (about 35 ms
    against 5 ms at 1,000 infants), on every chart and every page that shows charts."""
    infant_ids = m.Infant.objects.filter(pk=infant).values("id")
    columns = _infant_version_columns(connection.vendor)(infant_ids, [clinic])
    return m.Infant.objects.filter(pk=infant).annotate(**columns).values_list(*columns)


_INFANT_VERSION = CompiledRead(
    _infant_version_read, infant=m.Infant._meta.pk, clinic=m.Clinic._meta.pk
)


def infant_data_version(infant: m.Infant, *, today: datetime.date) -> str:
    """One query; changes whenever anything an infant chart reads changes (see the module doc)."""
    (row,) = _INFANT_VERSION.rows(infant=infant.pk, clinic=infant.clinic_id)
    values = [str(value) for value in row]
    return _digest([CHARTS_VERSION, loader.WHO_REFERENCE_VERSION, today.isoformat(), values])


def cohort_data_version(clinic_ids: list, *, today: datetime.date) -> str:
    infant_ids = m.Infant.objects.filter(clinic_id__in=clinic_ids).values("id")
    row = (
        m.Clinic.objects.filter(pk=clinic_ids[0])
        .values(**_version_columns(infant_ids, clinic_ids))
        .get()
    )
    return _digest([CHARTS_VERSION, today.isoformat(), row])


def cache_key(*, chart: str, image_format: str, scope: object, version: str) -> str:
    """Opaque and unforgeable without the secret; differs for every scope, format and version."""
    payload = json.dumps([CHARTS_VERSION, chart, image_format, scope, version], default=str)
    return "charts:" + salted_hmac(_KEY_SALT, payload, algorithm="sha256").hexdigest()


def infant_scope(infant: m.Infant) -> list[str]:
    return ["clinic", str(infant.clinic_id), "infant", str(infant.pk)]


def cohort_scope(clinic_ids: list) -> list[str]:
    return ["leads-of", *sorted(str(clinic_id) for clinic_id in clinic_ids)]


# --- Charts -----------------------------------------------------------------------------------------


def _served(key: str, image_format: ImageFormat, draw: Callable[[], Chart]) -> RenderedChart:
    entry = cache.get(key)
    if entry is not None:
        return RenderedChart(
            content=entry["content"],
            content_type=image_format.content_type,
            title=entry["title"],
            alt_text=entry["alt_text"],
            key=key,
            from_cache=True,
        )
    chart = draw()
    content = render.figure_bytes(chart, image_format)
    cache.set(
        key,
        {"content": content, "title": chart.title, "alt_text": chart.alt_text},
        CACHE_SECONDS,
    )
    return RenderedChart(
        content=content,
        content_type=image_format.content_type,
        title=chart.title,
        alt_text=chart.alt_text,
        key=key,
        from_cache=False,
    )


def infant_chart(
    *,
    user: m.User,
    infant_id: uuid.UUID | str,
    name: str,
    image_format: str,
    today: datetime.date | None = None,
) -> tuple[m.Infant, RenderedChart]:
    if name not in INFANT_CHARTS:
        raise NotInScope
    infant = clinical_infant(user, infant_id)
    today = today or infant.clinic.today()
    chosen = ImageFormat(image_format)
    key = cache_key(
        chart=name,
        image_format=chosen.value,
        scope=infant_scope(infant),
        version=infant_data_version(infant, today=today),
    )
    return infant, _served(key, chosen, lambda: INFANT_CHARTS[name](infant, today))


def cohort_chart(
    *,
    user: m.User,
    name: str,
    image_format: str,
    filters: cohort_data.CohortFilters,
    today: datetime.date | None = None,
) -> RenderedChart:
    if name not in COHORT_CHARTS:
        raise NotInScope
    clinics = sorted(lead_clinics_for(user), key=lambda clinic: str(clinic.pk))
    if not clinics:
        raise NotInScope
    clinic_ids = [clinic.pk for clinic in clinics]
    today = today or clinics[0].today()
    chosen = ImageFormat(image_format)
    key = cache_key(
        chart=name,
        image_format=chosen.value,
        scope=[*cohort_scope(clinic_ids), "filters", repr(filters)],
        version=cohort_data_version(clinic_ids, today=today),
    )

    def draw() -> Chart:
        infants = loader.cohort_infants(clinic_ids, filters, today=today)
        return COHORT_CHARTS[name](infants, filters, today)

    return _served(key, chosen, draw)


# --- Reports ------------------------------------------------------------------------------------


def visit_summary_pdf(
    *, user: m.User, infant_id: uuid.UUID | str, today: datetime.date | None = None
) -> tuple[m.Infant, bytes]:
    """The staff's one-page summary; its growth chart comes through the chart cache."""
    infant = clinical_infant(user, infant_id)
    today = today or infant.clinic.today()
    _, chart = infant_chart(
        user=user, infant_id=infant.pk, name="growth-wfa", image_format="png", today=today
    )
    summary = report_loader.visit_summary(
        infant, viewer=user, today=today, growth_chart_png=chart.content
    )
    return infant, report_pdf.visit_summary_pdf(summary, created=_noon(infant, today))


def take_home_plan_pdf(
    *,
    user: m.User,
    infant_id: uuid.UUID | str,
    language: str | None = None,
    today: datetime.date | None = None,
) -> tuple[m.Infant, bytes, str]:
    """The guardian's plan, in ``language`` when given, else the reader's: a guardian's own
    language, or for staff the language of the infant's primary guardian."""
    infant, as_guardian = plan_infant(user, infant_id)
    today = today or infant.clinic.today()
    if language not in phrases.LANGUAGES:
        language = _guardian_language(infant, user if as_guardian else None)
    plan = report_loader.take_home_plan(infant, language=language, today=today)
    return infant, report_pdf.take_home_plan_pdf(plan, created=_noon(infant, today)), language


def _guardian_language(infant: m.Infant, reader: m.User | None) -> str:
    guardianships = infant.guardianships.active().select_related("guardian")
    if reader is not None:
        own = guardianships.filter(guardian__user=reader).first()
        if own is not None:
            return phrases.language_or_fallback(own.guardian.language)
    primary = guardianships.order_by("-is_primary", "created_at").first()
    return phrases.language_or_fallback(primary.guardian.language if primary else None)


def _noon(infant: m.Infant, today: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(today, datetime.time(12), tzinfo=infant.clinic.zone)
