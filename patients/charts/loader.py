"""Reading the record into the charts' data classes; the only chart module that touches models.

Callers pass an infant (or a set of clinics) already checked against the viewer's scope
(``patients.services.charts``); nothing here widens it. Interpretations stored with a row are
read (growth z-scores, lab flags); where none is stored, or one no longer fits the row, they are
taken from the clinical core at read time (as are milestone timings, which are never stored), so
rows written in bulk without them (synthetic cohorts) chart the same way as rows entered one by
one. Voided rows are left out everywhere.

Query counts are constant in the length of the record: one query per kind of row for an infant,
and one per kind of row for a whole cohort (the infants' ids go in as a subquery, never as a list).
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Max, Q, QuerySet

from patients import models as m
from patients.charts import labs as lab_drawing
from patients.charts.cohort_data import (
    CohortFilters,
    CohortInfant,
    DenverRecord,
    DoseRecord,
    LabRecord,
)
from patients.charts.model import (
    DenverChartData,
    DenverPoint,
    Event,
    GrowthChartData,
    GrowthPoint,
    LabChartData,
    LabPanel,
    LabPoint,
    MilestoneRow,
    RangeSegment,
    SectorAge,
    SectorStatus,
    Span,
    TrajectoryData,
    WordResult,
)
from patients.clinical import ages, denver, milestones
from patients.clinical import growth as core_growth
from patients.clinical import labs as core_labs
from patients.clinical import regimens as engine
from patients.clinical.growth.who2006 import WhoGrowthStandards2006
from patients.models.imaging import Comparison, FindingType
from patients.models.treatment import PlannedDoseStatus
from patients.services.development import norm_table
from patients.services.growth import core_measurement
from patients.services.labs import lab_overrides_for

B12_DRUGS = ("hydroxocobalamin", "cyanocobalamin")

# Denver II items whose 25-90 % ages stand beside each milestone on the trajectory. Head control
# and first words use the items the clinical core judges them by; the motor milestones use the
# Denver II item that describes the same act (Frankenburg 1992 item names). Crawling and cruising
# have no Denver II item. Each is checked by label, so a licensed table numbered differently shows
# no bar rather than another item's.
DENVER_ITEMS: Mapping[str, tuple[str, str]] = {
    **{code.value: item for code, item in milestones.DENVER_SOURCED_MILESTONES.items()},
    "sitting_without_support": ("gross_motor:10", "Sit-No Support"),
    "standing_with_assistance": ("gross_motor:11", "Stand Holding On"),
    "standing_alone": ("gross_motor:15", "Stand Alone"),
    "walking_alone": ("gross_motor:17", "Walk Well"),
}

LAB_PANELS = (
    ("b12", "Vitamin B12"),
    ("haemoglobin", "Haemoglobin"),
    ("mcv", "MCV"),
    ("homocysteine", "Homocysteine"),
    ("mma_serum", "Methylmalonic acid"),
)
# Urine MMA has another unit; its results are written in the MMA panel rather than plotted.
_WORDS_PANEL = {"mma_urine": "mma_serum"}
_GROWTH_REFERENCE = f"{core_growth.WHO_2006.name}"


def months_of_age(infant: m.Infant, day: datetime.date) -> float:
    return ages.months_from_days((day - infant.birth_date).days)


# --- Defaults shared with the services ---------------------------------------------------------


def default_norms() -> denver.NormTable:
    row = m.DenverNormTable.objects.filter(is_default=True).first()
    return norm_table(row) if row is not None else denver.bundled_norm_table()


def milestone_windows(
    norms: denver.NormTable,
) -> Mapping[milestones.MilestoneCode, milestones.MilestoneWindow]:
    who_windows = tuple(
        window
        for code, window in milestones.bundled_milestone_windows().items()
        if code in milestones.WHO_MILESTONES
    )
    return milestones.milestone_windows(who_windows=who_windows, norms=norms)


# --- Growth ---------------------------------------------------------------------------------------

#: The indicators the growth charts draw, in the clinical core's words (weight-for-height, scored
#: from two years of age, has no chart of its own).
GROWTH_CHART_INDICATORS = ("wfa", "lfa", "hcfa", "wfl")

# The scores the growth service stored against the same tables the charts' curves are drawn from:
# WHO 2006 at the library and wrapper version running now. A row of an older version is not
# read; its measurement is scored afresh, as the chart would have scored it.
_WHO_SCORES = m.GrowthScore.objects.filter(
    reference_name=core_growth.WHO_2006.name, reference_version=core_growth.WHO_2006.version
).order_by()


class _StoredScore(NamedTuple):
    """What a chart reads of a stored score (``GrowthScore``)."""

    indicator: str
    status: str
    age_days: int
    corrected_age_used: bool
    z: Decimal | None
    computed_at: datetime.datetime


def growth_data(infant: m.Infant, indicator: str) -> GrowthChartData:
    """One growth chart's data (see :func:`growth_charts_data`)."""
    return growth_charts_data(infant, (indicator,))[indicator]


def growth_charts_data(
    infant: m.Infant, indicators: Iterable[str] = GROWTH_CHART_INDICATORS
) -> dict[str, GrowthChartData]:
    """The data of several growth charts from one read of the measurements and their scores.

    Each point's z-score is the one the growth service stored when the measurement was recorded.
    A measurement without a usable stored score for an indicator (rows written in bulk without
    scores, such as synthetic cohorts; rows scored by an older WHO version; a record changed
    since it was scored, see :func:`_stored_score_holds`) is scored here by the clinical core,
    so every chart shows what the core says of the measurement as it stands. Three queries
    whatever the number of measurements: the measurements, their scores, and whether the infant's
    sex was ever corrected.
    """
    wanted = [core_growth.Indicator(indicator) for indicator in indicators]
    points: dict[core_growth.Indicator, list[GrowthPoint]] = {indicator: [] for indicator in wanted}
    later_than_wfl = 0
    scoring = infant.sex in ("male", "female")
    # Read as plain rows, not GrowthScore objects: building five model instances per measurement
    # cost more than reading them.
    stored: dict[uuid.UUID, dict[str, _StoredScore]] = defaultdict(dict)
    if scoring and not _sex_ever_rewritten(infant):
        for measurement_id, *fields in _WHO_SCORES.filter(measurement__infant=infant).values_list(
            "measurement_id", *_StoredScore._fields
        ):
            score = _StoredScore(*fields)
            stored[measurement_id][score.indicator] = score
    for row in infant.growth_measurements.active().order_by("measured_on"):
        age = ages.growth_age(
            infant.birth_date, row.measured_on, gestational_age_days=infant.gestational_age_days
        )
        if age.age_days < 0:
            continue  # before the due date: WHO's standards start at term
        if not scoring:
            for indicator in wanted:
                raw = _raw_growth_value(row, indicator)
                if raw is not None:
                    points[indicator].append(
                        GrowthPoint(
                            measured_on=row.measured_on,
                            age_days=age.age_days,
                            chronological_age_days=age.chronological_age_days,
                            value=raw,
                            length_cm=float(row.length_cm) if row.length_cm is not None else None,
                        )
                    )
            continue
        if age.age_days >= core_growth.LENGTH_HEIGHT_SWITCH_DAYS:
            later_than_wfl += 1
        scores = stored.get(row.pk, {})
        computed: core_growth.GrowthAssessment | None = None
        for indicator in wanted:
            if (
                indicator is core_growth.Indicator.WFL
                and age.age_days >= core_growth.LENGTH_HEIGHT_SWITCH_DAYS
            ):
                continue
            score = scores.get(indicator.value)
            if score is not None and _stored_score_holds(score, row, age):
                result = _stored_result(score, row, infant, age)
            else:
                # No stored score that fits (see above): the core scores the measurement, once
                # for all its indicators, as the stored score would have been.
                computed = computed or core_growth.assess_growth(
                    core_measurement(row, sex=infant.sex, age=age)
                )
                result = computed[indicator]
            if result.status is not core_growth.Status.COMPUTED or result.value is None:
                continue
            points[indicator].append(
                GrowthPoint(
                    measured_on=row.measured_on,
                    age_days=age.age_days,
                    chronological_age_days=age.chronological_age_days,
                    value=result.value,
                    length_cm=result.length_cm,
                    z=result.z,
                    centile=result.centile,
                )
            )
    return {
        indicator.value: GrowthChartData(
            indicator=indicator.value,
            sex=infant.sex,
            points=tuple(points[indicator]),
            reference_label=_GROWTH_REFERENCE,
            note=(
                f"{later_than_wfl} measurement(s) from 2 years of age are scored "
                "weight-for-height and not drawn here."
                if indicator is core_growth.Indicator.WFL and later_than_wfl
                else ""
            ),
        )
        for indicator in wanted
    }


def _sex_ever_rewritten(infant: m.Infant) -> bool:
    """Whether the infant's record ever gave another sex. Scores stored before the correction
    were read from the other sex's tables (or not scored at all), and a score does not say which
    sex it was computed for, so such an infant's measurements are all scored afresh: rare, and no
    dearer than charting was before it read stored scores."""
    return m.Infant.history.filter(id=infant.pk).exclude(sex=infant.sex).exists()


def _stored_score_holds(
    score: _StoredScore, row: m.GrowthMeasurement, age: ages.AgeAtAssessment
) -> bool:
    """Whether a stored score still describes the measurement as it stands.

    The growth service writes a score once and never rewrites it, so a measurement corrected
    after it was scored (its ``updated_at`` is later), or an infant whose birth date or gestation
    was corrected since (the age scored is not today's age for that day), keeps its old scores;
    those are scored afresh here rather than drawn beside values they do not belong to.
    """
    return (
        score.age_days == age.age_days
        and score.corrected_age_used == age.corrected
        and score.computed_at >= row.updated_at
    )


def _stored_result(
    score: _StoredScore, row: m.GrowthMeasurement, infant: m.Infant, age: ages.AgeAtAssessment
) -> core_growth.IndicatorResult:
    """A stored score as the clinical core returned it when it was computed.

    The value scored is the measurement's, with the length after WHO's lying/standing conversion
    (the core's own, so a point sits where WHO scored it). The centile is recomputed from the
    stored z rather than read: the stored centile is rounded to 0.01, so 0.996 would read "1st"
    where the core's unrounded centile reads "<1st". The stored z is the core's own: the WHO
    library rounds z to 0.01 (``who2006``), and weight-for-length is read on a 0.1 cm row with no
    blend, lengths being entered to 0.1 cm, so storing it to 0.01 loses nothing.
    """
    indicator = core_growth.Indicator(score.indicator)
    value: float | None = None
    length_cm: float | None = None
    z: float | None = None
    centile: float | None = None
    # Never null on a computed row (the growth_score_computed_has_values constraint).
    if score.status == core_growth.Status.COMPUTED and score.z is not None:
        z = float(score.z)
        centile = core_growth.z_to_centile(z)
        match indicator:
            case core_growth.Indicator.WFA:
                value = _as_float(row.weight_kg)
            case core_growth.Indicator.HCFA:
                value = _as_float(row.head_circumference_cm)
            case core_growth.Indicator.LFA:
                value = _who_length(row, infant, age)
            case _:  # weight-for-length/height: placed at the length it was scored against
                value, length_cm = _as_float(row.weight_kg), _who_length(row, infant, age)
    return core_growth.IndicatorResult(
        indicator=indicator,
        status=core_growth.Status(score.status),
        reference_name=core_growth.WHO_2006.name,
        reference_version=core_growth.WHO_2006.version,
        corrected_age_used=score.corrected_age_used,
        age_days=score.age_days,
        value=value,
        length_cm=length_cm,
        z=z,
        centile=centile,
    )


def _who_length(
    row: m.GrowthMeasurement, infant: m.Infant, age: ages.AgeAtAssessment
) -> float | None:
    """The length or height WHO scores at this age, after the clinical core's own lying/standing
    conversion."""
    return core_growth.length_for_age(core_measurement(row, sex=infant.sex, age=age))[0]


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _raw_growth_value(row: m.GrowthMeasurement, indicator: core_growth.Indicator) -> float | None:
    value = {
        core_growth.Indicator.WFA: row.weight_kg,
        core_growth.Indicator.LFA: row.length_cm,
        core_growth.Indicator.HCFA: row.head_circumference_cm,
        core_growth.Indicator.WFL: row.weight_kg if row.length_cm is not None else None,
    }.get(indicator)
    return None if value is None else float(value)


# --- Treatment phases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseDates:
    number: int
    name: str
    start: datetime.date
    end: datetime.date


def b12_courses(infant: m.Infant) -> list[m.TreatmentCourse]:
    return list(infant.treatment_courses.active().filter(drug__in=B12_DRUGS).order_by("started_on"))


def course_phases(course: m.TreatmentCourse, *, today: datetime.date) -> list[PhaseDates]:
    """The phases a course went through, from its planned doses, or from its regimen snapshot
    when no dose was planned (courses written in bulk).

    A phase starts with its first dose; a later phase starts the day after the previous phase's
    last dose, when the taper steps down (seed 000: "after 2 weeks of daily ... tapered to 1 mg
    per month" starts the monthly phase on day 15, though its first dose comes a month later). The
    last phase lasts until the course stopped, or until today while it goes on: never into the
    future.
    """
    spans: dict[int, tuple[str, datetime.date, datetime.date]] = {}

    def add(number: int, name: str, day: datetime.date) -> None:
        known = spans.get(number)
        spans[number] = (
            name,
            min(day, known[1]) if known else day,
            max(day, known[2]) if known else day,
        )

    planned = (
        course.planned_doses.active()
        .exclude(status__in=[PlannedDoseStatus.SUPERSEDED, PlannedDoseStatus.CANCELLED])
        .values_list("phase_number", "phase_name", "due_on")
    )
    for number, name, due_on in planned:
        add(number, name, due_on)
    if not spans and course.regimen:
        try:
            plan = engine.preview_course(
                engine.parse_regimen(course.regimen, where="course regimen"),
                course.started_on,
                horizon=course.stopped_on or today,
                events=[engine.StopCourse(on=course.stopped_on)] if course.stopped_on else [],
            )
        except (engine.RegimenDataError, engine.PlanningError, ValueError):
            plan = None
        for dose in plan.doses if plan else ():
            add(dose.phase_number, dose.phase_name, dose.date)
    course_end = course.stopped_on or today
    numbers = sorted(spans)
    phases = []
    for index, number in enumerate(numbers):
        name, first_dose, last_dose = spans[number]
        start = first_dose if index == 0 else spans[numbers[index - 1]][2] + _ONE_DAY
        end = last_dose + _ONE_DAY if index + 1 < len(numbers) else course_end
        if start > today or start > course_end:
            break
        phases.append(PhaseDates(number, name, start, max(start, min(end, course_end))))
    return phases


_ONE_DAY = datetime.timedelta(days=1)


# --- Trajectory -----------------------------------------------------------------------------------


def _mri_event(infant: m.Infant, study: m.ImagingStudy) -> Event:
    findings = [f for f in study.findings.all() if not f.is_voided]
    abnormal = [f for f in findings if f.finding_type != FindingType.NO_ABNORMALITY]
    at = months_of_age(infant, study.performed_on)
    if study.comparison == Comparison.RESOLVED or (findings and not abnormal):
        kind, label = "mri_normal", "normal" + (" (resolved)" if study.comparison else "")
    else:
        worst = max(abnormal, key=lambda f: _SEVERITY_RANK.get(f.severity, 0), default=None)
        label = (
            f"{worst.get_severity_display().lower()} {worst.get_finding_type_display().lower()}"
            if worst is not None and worst.severity in _SEVERITY_RANK
            else (worst.get_finding_type_display().lower() if worst else "reported")
        )
        kind = "mri_improved" if study.comparison == Comparison.IMPROVED else "mri_abnormal"
        if kind == "mri_improved":
            label = f"improved: {label}"
    return Event(at=at, kind=kind, label=label)


_SEVERITY_RANK = {"mild": 1, "moderate": 2, "severe": 3}


def trajectory_data(infant: m.Infant, *, today: datetime.date) -> TrajectoryData:
    norms = default_norms()
    windows = milestone_windows(norms)
    attained = {row.milestone: row for row in infant.milestones.active()}
    rows = []
    for code, window in windows.items():
        item_code, item_label = DENVER_ITEMS.get(code.value, ("", ""))
        item = norms.items.get(item_code)
        percentiles = (
            (item.p25_months, item.p50_months, item.p75_months, item.p90_months)
            if item is not None and _same_label(item.label, item_label)
            else None
        )
        record = attained.get(code.value)
        chronological = _attained_months(infant, record) if record else None
        assessment = (
            milestones.assess_milestone(
                window,
                gestational_age_days=infant.gestational_age_days,
                attained_at_months=chronological,
            )
            if chronological is not None
            else None
        )
        rows.append(
            MilestoneRow(
                code=code.value,
                label=str(m.development.Milestone(code.value).label),
                who_window=(
                    (window.earliest_months, window.latest_months)
                    if code in milestones.WHO_MILESTONES and window.earliest_months is not None
                    else None
                ),
                denver_percentiles=percentiles,
                denver_item=f"{item_code} {item_label}" if percentiles else "",
                latest_months=window.latest_months,
                attained_chronological_months=chronological,
                attained_months=assessment.age_months if assessment else None,
                timing=assessment.timing.value if assessment else "",
            )
        )

    phases: list[Span] = []
    events: list[Event] = []
    if infant.diagnosis_date:
        events.append(Event(months_of_age(infant, infant.diagnosis_date), "diagnosis", "diagnosis"))
    courses = b12_courses(infant)
    for course in courses:
        for phase in course_phases(course, today=today):
            phases.append(
                Span(
                    months_of_age(infant, phase.start),
                    months_of_age(infant, phase.end),
                    phase.name,
                )
            )
        if course.stopped_on:
            events.append(Event(months_of_age(infant, course.stopped_on), "stop", "B12 stopped"))
    if courses:
        events.append(
            Event(months_of_age(infant, courses[0].started_on), "first_dose", "first B12 dose")
        )
    studies = (
        infant.imaging_studies.active()
        .filter(modality="mri", body_site="brain")
        .prefetch_related("findings")
        .order_by("performed_on")
    )
    events += [_mri_event(infant, study) for study in studies]
    for assessment in infant.denver_assessments.active().order_by("assessed_on"):
        events.append(
            Event(
                months_of_age(infant, assessment.assessed_on),
                "denver",
                assessment.get_test_result_display() or "by sector",
            )
        )
    events.append(Event(months_of_age(infant, today), "today", "today"))
    adverse = [
        Span(
            months_of_age(infant, event.onset_on),
            months_of_age(infant, event.resolved_on or today),
            f"{event.get_event_type_display()}"
            + (
                f" ({(event.resolved_on - event.onset_on).days} days)"
                if event.resolved_on
                else " (ongoing)"
            ),
        )
        for event in infant.adverse_events.active().order_by("onset_on")
    ]
    return TrajectoryData(
        sex=infant.sex,
        milestones=tuple(rows),
        phases=tuple(phases),
        adverse_events=tuple(adverse),
        events=tuple(events),
        days_born_early=(
            ages.days_born_early(infant.gestational_age_days) if infant.gestational_age_days else 0
        ),
        windows_version=milestones.WHO_MOTOR_WINDOWS_VERSION,
        norms_version=norms.version,
    )


def _attained_months(infant: m.Infant, record: m.MilestoneAttainment) -> float:
    if record.attained_age_months is not None:
        return float(record.attained_age_months)
    return months_of_age(infant, record.attained_on)


def _same_label(a: str, b: str) -> bool:
    def plain(text: str) -> str:
        return "".join(char for char in text.casefold() if char.isalnum())

    return plain(a) == plain(b)


# --- Denver II ------------------------------------------------------------------------------------


def denver_data(infant: m.Infant) -> DenverChartData:
    points = []
    assessments = (
        infant.denver_assessments.active()
        .prefetch_related("sector_findings")
        .order_by("assessed_on")
    )
    for assessment in assessments:
        age_line = ages.denver_ii_age_line(
            infant.birth_date,
            assessment.assessed_on,
            gestational_age_days=infant.gestational_age_days,
        )
        line_months = (
            float(assessment.age_line_months)
            if assessment.age_line_months is not None
            else max(age_line.age_months, 0.0)
        )
        sector_ages = []
        statuses = []
        for summary in assessment.sector_summaries or []:
            developmental = summary.get("developmental_age")
            if developmental:
                sector_ages.append(
                    SectorAge(
                        summary["sector"], float(developmental["months"]), developmental["kind"]
                    )
                )
            counts = summary.get("counts", {})
            delayed, caution = counts.get("delayed", 0), counts.get("caution", 0)
            if sum(counts.values()) - counts.get("no_opportunity", 0) == 0:
                continue
            statuses.append(
                SectorStatus(
                    sector=summary["sector"],
                    status="delayed" if delayed else "caution" if caution else "normal",
                    basis="items",
                    delayed_items=delayed,
                    caution_items=caution,
                )
            )
        scored = {status.sector for status in statuses}
        for finding in assessment.sector_findings.all():
            if finding.is_voided or finding.sector in scored:
                continue
            statuses.append(SectorStatus(finding.sector, finding.conclusion, "reported"))
        points.append(
            DenverPoint(
                assessed_on=assessment.assessed_on,
                age_line_months=line_months,
                chronological_months=age_line.chronological_age_months,
                test_result=assessment.test_result,
                sector_ages=tuple(sector_ages),
                statuses=tuple(statuses),
            )
        )
    versions = sorted({a.norm_version for a in assessments if a.norm_version})
    return DenverChartData(assessments=tuple(points), norms_version=", ".join(versions))


# --- Labs -----------------------------------------------------------------------------------------


def treatment_origin(infant: m.Infant) -> tuple[datetime.date | None, str]:
    courses = b12_courses(infant)
    if courses:
        return courses[0].started_on, "first B12 dose"
    if infant.diagnosis_date:
        return infant.diagnosis_date, "diagnosis"
    return None, "first result"


def lab_data(infant: m.Infant, *, today: datetime.date) -> LabChartData:
    origin, origin_label = treatment_origin(infant)
    wanted = [code for code, _ in LAB_PANELS] + list(_WORDS_PANEL)
    results = list(
        infant.lab_results.active().filter(analyte__in=wanted).order_by("collected_on", "analyte")
    )
    if origin is None:
        origin = results[0].collected_on if results else today
    overrides = lab_overrides_for(infant.clinic)
    sex = core_labs.Sex(infant.sex) if infant.sex in ("male", "female") else None

    phases: list[Span] = []
    events: list[Event] = []
    for course in b12_courses(infant):
        phases += [
            Span((p.start - origin).days, (p.end - origin).days, p.name)
            for p in course_phases(course, today=today)
        ]
        if course.stopped_on:
            events.append(Event((course.stopped_on - origin).days, "stop", "B12 stopped"))

    every_day = [(row.collected_on - origin).days for row in results]
    panels = []
    for analyte, label in LAB_PANELS:
        own = [r for r in results if r.analyte == analyte]
        numeric = [r for r in own if r.value is not None and r.unit]
        unit = (
            numeric[-1].unit
            if numeric
            else core_labs.DEFAULT_CATALOGUE.analyte(analyte).canonical_unit
        )
        points, words = [], []
        for row in own:
            day = (row.collected_on - origin).days
            value = _in_unit(analyte, row, unit)
            if value is None:
                words.append(WordResult(day, f"{row.reported_text or row.result_text}"))
                continue
            points.append(
                LabPoint(
                    day=day,
                    value=float(value),
                    comparator=row.comparator,
                    flag=_shown_flag(row.flag or _flag(row, infant, sex, overrides)),
                    text=row.result_text,
                )
            )
        words += [
            WordResult(
                (row.collected_on - origin).days,
                f"{row.get_analyte_display()}: {row.result_text}",
            )
            for row in results
            if _WORDS_PANEL.get(row.analyte) == analyte
        ]
        start, end = lab_drawing.axis_days(every_day)
        lab_name = numeric[-1].lab_name if numeric else None
        panels.append(
            LabPanel(
                analyte=analyte,
                label=label,
                unit=unit,
                points=tuple(points),
                words=tuple(words),
                ranges=tuple(
                    _range_segments(
                        infant, analyte, unit, origin, start, end, sex, lab_name, overrides
                    )
                ),
            )
        )
    return LabChartData(
        panels=tuple(panels), phases=tuple(phases), origin_label=origin_label, events=tuple(events)
    )


def _shown_flag(flag: str) -> str:
    # "unknown" means no range applies at that age: nothing to say beside the value.
    return "" if flag == core_labs.Flag.UNKNOWN else flag


def _in_unit(analyte: str, row: m.LabResult, unit: str) -> Decimal | None:
    if row.value is None or not row.unit:
        return None
    try:
        return core_labs.convert(analyte, row.value, row.unit, unit)
    except core_labs.LabError:
        return None


def _flag(
    row: m.LabResult,
    infant: m.Infant,
    sex: core_labs.Sex | None,
    overrides: list[core_labs.ReferenceRange],
) -> str:
    try:
        interpretation = core_labs.interpret(
            core_labs.LabValue(
                row.analyte, row.value, row.unit, core_labs.Comparator(row.comparator)
            ),
            age_days=(row.collected_on - infant.birth_date).days,
            sex=sex,
            lab_name=row.lab_name or None,
            overrides=overrides,
        )
    except (core_labs.LabError, ValueError):
        return ""
    return "" if interpretation.flag is core_labs.Flag.UNKNOWN else interpretation.flag.value


def _range_segments(
    infant: m.Infant,
    analyte: str,
    unit: str,
    origin: datetime.date,
    start_day: float,
    end_day: float,
    sex: core_labs.Sex | None,
    lab_name: str | None,
    overrides: list[core_labs.ReferenceRange],
) -> list[RangeSegment]:
    """The applicable range over the chart's days: constant between the age-band edges of every
    candidate range, so each edge starts a new segment."""
    offset = (origin - infant.birth_date).days
    candidates = [
        r for r in (*core_labs.DEFAULT_CATALOGUE.ranges, *overrides) if r.analyte == analyte
    ]
    edges = {start_day, end_day}
    for reference in candidates:
        for age in (reference.age_from_days, reference.age_until_days):
            if age is not None and start_day < age - offset < end_day:
                edges.add(age - offset)
    ordered = sorted(edges)
    segments: list[RangeSegment] = []
    for first, last in itertools.pairwise(ordered):
        age_days = int(offset + (first + last) / 2)
        if age_days < 0:
            continue
        reference = core_labs.applicable_range(
            core_labs.DEFAULT_CATALOGUE,
            analyte,
            age_days=age_days,
            sex=sex,
            lab=lab_name,
            overrides=overrides,
        )
        if reference is None:
            continue
        low, high = (
            None
            if limit is None
            else float(core_labs.convert(analyte, limit, reference.unit, unit))
            for limit in (reference.low, reference.high)
        )
        if (
            segments
            and (segments[-1].low, segments[-1].high, segments[-1].source)
            == (
                low,
                high,
                reference.source,
            )
            and segments[-1].day_to == first
        ):
            segments[-1] = RangeSegment(segments[-1].day_from, last, low, high, reference.source)
            continue
        segments.append(RangeSegment(first, last, low, high, reference.source))
    return segments


# --- Cohort ---------------------------------------------------------------------------------------


def cohort_infants(
    clinic_ids: Iterable[object], filters: CohortFilters, *, today: datetime.date
) -> list[CohortInfant]:
    """De-identified records of the active infants of ``clinic_ids`` that the filters may keep.

    Filters that the database answers cheaply (sex, diagnosis period, presenting signs, regimen)
    narrow the query; the rest (age at diagnosis, MRI severity) are applied by ``filters.matches``
    on the records. About fifteen queries, whatever the cohort's size.
    """
    infants = m.Infant.objects.active().filter(clinic_id__in=list(clinic_ids))
    if filters.sex:
        infants = infants.filter(sex=filters.sex)
    if filters.diagnosed_from:
        infants = infants.filter(diagnosis_date__gte=filters.diagnosed_from)
    if filters.diagnosed_to:
        infants = infants.filter(diagnosis_date__lte=filters.diagnosed_to)
    for sign in filters.signs:
        infants = infants.filter(
            id__in=m.PresentingSign.objects.active().filter(sign=sign).values("infant_id")
        )
    if filters.regimen:
        infants = infants.filter(
            id__in=m.TreatmentCourse.objects.active()
            .filter(drug__in=B12_DRUGS, regimen_key=filters.regimen)
            .values("infant_id")
        )
    ids = infants.values("id")
    base = list(
        infants.values_list("id", "sex", "birth_date", "diagnosis_date", "follow_up_status")
    )
    if not base:
        return []

    signs: dict[object, set[str]] = defaultdict(set)
    for infant_id, sign in (
        m.PresentingSign.objects.active().filter(infant_id__in=ids).values_list("infant_id", "sign")
    ):
        signs[infant_id].add(sign)

    severity = _first_mri_severity(ids)
    courses = _first_courses(ids)
    doses = _doses(ids, today=today)
    milestones_of: dict[object, list[tuple[str, datetime.date]]] = defaultdict(list)
    births = {row[0]: row[2] for row in base}
    for infant_id, code, age_months, attained_on in (
        m.MilestoneAttainment.objects.active()
        .filter(infant_id__in=ids)
        .values_list("infant_id", "milestone", "attained_age_months", "attained_on")
    ):
        when = attained_on or births[infant_id] + datetime.timedelta(
            days=round(float(age_months) * ages.WHO_DAYS_PER_MONTH)
        )
        milestones_of[infant_id].append((code, when))

    labs_of: dict[object, list[LabRecord]] = defaultdict(list)
    for infant_id, analyte, on, comparator, value, unit in (
        m.LabResult.objects.active()
        .filter(infant_id__in=ids, analyte__in=["b12", "haemoglobin"], value__isnull=False)
        .values_list("infant_id", "analyte", "collected_on", "comparator", "value", "unit")
    ):
        try:
            canonical = core_labs.DEFAULT_CATALOGUE.analyte(analyte).to_canonical(value, unit)
        except core_labs.LabError:
            continue
        labs_of[infant_id].append(LabRecord(analyte, on, canonical, comparator))

    denver_of = _denver_records(ids)
    contact = _last_contacts(ids, today=today)

    records = []
    for infant_id, sex, birth, diagnosed, status in base:
        course = courses.get(infant_id)
        last_contact = min(today, max(d for d in (contact.get(infant_id), diagnosed, birth) if d))
        records.append(
            CohortInfant(
                sex=sex,
                birth_date=birth,
                diagnosis_date=diagnosed,
                follow_up_status=status,
                last_contact_on=last_contact,
                signs=frozenset(signs.get(infant_id, ())),
                mri_severity=severity.get(infant_id, ""),
                regimen_key=course[1] if course else "",
                regimen_name=course[2] if course else "",
                first_dose_on=course[0] if course else None,
                milestones=tuple(milestones_of.get(infant_id, ())),
                labs=tuple(labs_of.get(infant_id, ())),
                denver=tuple(denver_of.get(infant_id, ())),
                doses=tuple(doses.get(infant_id, ())),
            )
        )
    return [record for record in records if filters.matches(record)]


def _first_mri_severity(ids: QuerySet) -> dict[object, str]:
    rows = (
        m.ImagingFinding.objects.active()
        .filter(
            study__infant_id__in=ids,
            study__voided_at__isnull=True,
            study__modality="mri",
            study__body_site="brain",
        )
        .values_list(
            "study__infant_id", "study__performed_on", "study_id", "severity", "finding_type"
        )
        .order_by("study__infant_id", "study__performed_on")
    )
    first_study: dict[object, object] = {}
    worst: dict[object, str] = {}
    for infant_id, _performed_on, study_id, severity, finding_type in rows:
        if first_study.setdefault(infant_id, study_id) != study_id:
            continue
        current = worst.get(infant_id, "normal")
        if finding_type != FindingType.NO_ABNORMALITY:
            candidate = severity if severity in _SEVERITY_RANK else "mild"
            if _SEVERITY_RANK.get(candidate, 0) > _SEVERITY_RANK.get(current, 0):
                current = candidate
        worst[infant_id] = current
    return worst


def _first_courses(ids: QuerySet) -> dict[object, tuple[datetime.date, str, str]]:
    first: dict[object, tuple[datetime.date, str, str]] = {}
    for infant_id, started_on, key, name in (
        m.TreatmentCourse.objects.active()
        .filter(infant_id__in=ids, drug__in=B12_DRUGS)
        .order_by("started_on")
        .values_list("infant_id", "started_on", "regimen_key", "regimen_name")
    ):
        first.setdefault(infant_id, (started_on, key, name))
    return first


def _doses(ids: QuerySet, *, today: datetime.date) -> dict[object, list[DoseRecord]]:
    planned = list(
        m.PlannedDose.objects.active()
        .filter(course__infant_id__in=ids, course__drug__in=B12_DRUGS, due_on__lte=today)
        .exclude(status__in=[PlannedDoseStatus.SUPERSEDED, PlannedDoseStatus.CANCELLED])
        .values_list(
            "id", "course__infant_id", "course_id", "phase_number", "phase_name", "due_on", "status"
        )
    )
    given = dict(
        m.DoseAdministration.objects.active()
        .filter(planned_dose__course__infant_id__in=ids, planned_dose__isnull=False)
        .values_list("planned_dose_id", "given_on")
    )
    course_numbers: dict[object, dict[object, int]] = defaultdict(dict)
    doses: dict[object, list[DoseRecord]] = defaultdict(list)
    for dose_id, infant_id, course_id, number, name, due_on, status in planned:
        course = course_numbers[infant_id].setdefault(course_id, len(course_numbers[infant_id]))
        doses[infant_id].append(
            DoseRecord(
                course=course,
                phase_number=number,
                phase_name=name,
                due_on=due_on,
                given_on=given.get(dose_id),
                missed=status == PlannedDoseStatus.MISSED,
            )
        )
    return doses


def _denver_records(ids: QuerySet) -> dict[object, list[DenverRecord]]:
    reported: dict[object, set[str]] = defaultdict(set)
    for assessment_id, sector in (
        m.DenverSectorFinding.objects.active()
        .filter(assessment__infant_id__in=ids, conclusion="delayed")
        .values_list("assessment_id", "sector")
    ):
        reported[assessment_id].add(sector)
    records: dict[object, list[DenverRecord]] = defaultdict(list)
    for assessment_id, infant_id, on, result, summaries in (
        m.DenverAssessment.objects.active()
        .filter(infant_id__in=ids)
        .values_list("id", "infant_id", "assessed_on", "test_result", "sector_summaries")
    ):
        delayed = {
            s["sector"] for s in summaries or [] if s.get("counts", {}).get("delayed", 0) > 0
        }
        records[infant_id].append(
            DenverRecord(on, result or "", frozenset(delayed | reported.get(assessment_id, set())))
        )
    return records


def _last_contacts(ids: QuerySet, *, today: datetime.date) -> dict[object, datetime.date]:
    """The latest day each infant was seen in the record, up to today."""
    sources = (
        (m.Visit, "infant_id", "visit_date"),
        (m.LabResult, "infant_id", "collected_on"),
        (m.GrowthMeasurement, "infant_id", "measured_on"),
        (m.DenverAssessment, "infant_id", "assessed_on"),
        (m.ImagingStudy, "infant_id", "performed_on"),
        (m.DoseAdministration, "course__infant_id", "given_on"),
    )
    latest: dict[object, datetime.date] = {}
    for model, infant_field, date_field in sources:
        rows = (
            model.objects.active()
            .filter(Q(**{f"{infant_field}__in": ids}), **{f"{date_field}__lte": today})
            .values(infant_field)
            .annotate(last=Max(date_field))
            .values_list(infant_field, "last")
        )
        for infant_id, last in rows:
            if last and (infant_id not in latest or last > latest[infant_id]):
                latest[infant_id] = last
    return latest


WHO_REFERENCE_VERSION = WhoGrowthStandards2006.version
