"""Gathering one infant's active record for export, in a fixed number of queries.

The FHIR builder reads plain model instances; this module is the one place that fetches them, so
the query count does not grow with the length of the infant's history (one query per kind of row,
whatever the number of rows).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from patients import models as m


@dataclass(frozen=True)
class InfantRecord:
    """The infant's active (not voided) rows, ordered by date."""

    infant: m.Infant
    mother: m.Mother | None
    presenting_signs: list[m.PresentingSign]
    visits: list[m.Visit]
    growth: list[m.GrowthMeasurement]
    labs: list[m.LabResult]
    mother_labs: list[m.LabResult]
    qualitative_findings: list[m.QualitativeFinding]
    imaging: list[m.ImagingStudy]
    imaging_findings: dict[uuid.UUID, list[m.ImagingFinding]]
    denver: list[m.DenverAssessment]
    denver_items: dict[uuid.UUID, list[m.DenverItemResult]]
    denver_sectors: dict[uuid.UUID, list[m.DenverSectorFinding]]
    courses: list[m.TreatmentCourse]
    administrations: dict[uuid.UUID, list[m.DoseAdministration]]
    adverse_events: list[m.AdverseEvent]
    procedures: list[m.Procedure]


def _active(model, *order: str) -> QuerySet:
    return model.objects.active().order_by(*order)


def load_infant_record(infants: QuerySet[m.Infant], pk: uuid.UUID) -> InfantRecord:
    """Load the infant `pk` from `infants` (a scoped queryset, so an infant out of the caller's
    scope raises Infant.DoesNotExist) with every active row the export needs.

    Queries: the infant with its clinic and mother (1), one per prefetched kind of row (14), and
    the mother's labs (1): 16, whatever the length of the history. The builder then reads only
    what these loaded (the earlier study of a comparison and the prescriber are joined in).
    """
    infant = (
        infants.select_related("clinic", "mother")
        .prefetch_related(
            Prefetch("presenting_signs", _active(m.PresentingSign, "sign"), to_attr="_signs"),
            Prefetch("visits", _active(m.Visit, "visit_date", "id"), to_attr="_visits"),
            Prefetch(
                "growth_measurements",
                _active(m.GrowthMeasurement, "measured_on", "id"),
                to_attr="_growth",
            ),
            Prefetch("lab_results", _active(m.LabResult, "collected_on", "analyte", "id"), "_labs"),
            Prefetch(
                "qualitative_findings",
                _active(m.QualitativeFinding, "observed_on", "finding", "id"),
                to_attr="_findings",
            ),
            Prefetch(
                "imaging_studies",
                _active(m.ImagingStudy, "performed_on", "id").select_related("compared_with"),
                to_attr="_imaging",
            ),
            Prefetch(
                "_imaging__findings",
                _active(m.ImagingFinding, "finding_type", "region", "id"),
                to_attr="_study_findings",
            ),
            Prefetch(
                "denver_assessments", _active(m.DenverAssessment, "assessed_on", "id"), "_denver"
            ),
            Prefetch("_denver__item_results", _active(m.DenverItemResult, "item_code"), "_items"),
            Prefetch(
                "_denver__sector_findings", _active(m.DenverSectorFinding, "sector"), "_sectors"
            ),
            Prefetch(
                "treatment_courses",
                _active(m.TreatmentCourse, "started_on", "id").select_related("prescribed_by"),
                to_attr="_courses",
            ),
            Prefetch(
                "_courses__administrations",
                _active(m.DoseAdministration, "given_on", "given_at", "id").select_related(
                    "given_by"
                ),
                to_attr="_given",
            ),
            Prefetch(
                "adverse_events", _active(m.AdverseEvent, "onset_on", "id"), "_adverse_events"
            ),
            Prefetch("procedures", _active(m.Procedure, "performed_on", "id"), "_procedures"),
        )
        .get(pk=pk)
    )
    mother = infant.mother if infant.mother is not None and not infant.mother.is_voided else None
    mother_labs = (
        list(_active(m.LabResult, "collected_on", "analyte", "id").filter(mother=mother))
        if mother is not None
        else []
    )
    return InfantRecord(
        infant=infant,
        mother=mother,
        presenting_signs=infant._signs,
        visits=infant._visits,
        growth=infant._growth,
        labs=infant._labs,
        mother_labs=mother_labs,
        qualitative_findings=infant._findings,
        imaging=infant._imaging,
        imaging_findings={study.id: study._study_findings for study in infant._imaging},
        denver=infant._denver,
        denver_items={a.id: a._items for a in infant._denver},
        denver_sectors={a.id: a._sectors for a in infant._denver},
        courses=infant._courses,
        administrations={course.id: course._given for course in infant._courses},
        adverse_events=infant._adverse_events,
        procedures=infant._procedures,
    )
