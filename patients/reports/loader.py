"""The record read into the two documents. The caller has checked the viewer's scope."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.dateformat import format as format_date

from patients import models as m
from patients.charts import loader as chart_loader
from patients.charts.cohort_data import DoseRecord, dose_timeliness
from patients.charts.denver import SECTOR_LABELS, SECTORS
from patients.charts.style import centile_text
from patients.clinical import ages
from patients.clinical import growth as core_growth
from patients.clinical import labs as core_labs
from patients.clinical.monitoring import ItemKind, item_kinds
from patients.models.treatment import PlannedDoseStatus, Route
from patients.notifications.render import INJECTED_ROUTES, format_day
from patients.reports.model import Row, TakeHomePlan, VisitSummary
from patients.reports.phrases import language_or_fallback, phrase
from patients.services.alerts import open_alerts_for
from patients.services.growth import core_measurement
from patients.services.labs import lab_overrides_for

# The panel a B12 follow-up visit reviews (CLINICAL.md sections 4 and 5).
PANEL = (
    ("b12", "Vitamin B12"),
    ("folate", "Folate"),
    ("homocysteine", "Homocysteine"),
    ("mma_serum", "MMA (serum)"),
    ("mma_urine", "MMA (urine)"),
    ("haemoglobin", "Haemoglobin"),
    ("mcv", "MCV"),
)
_GROWTH_ROWS = (
    (core_growth.Indicator.WFA, "Weight-for-age", "weight_kg", "kg"),
    (core_growth.Indicator.LFA, "Length/height-for-age", "length_cm", "cm"),
    (core_growth.Indicator.HCFA, "Head circumference-for-age", "head_circumference_cm", "cm"),
    (core_growth.Indicator.WFL, "Weight-for-length", "weight_kg", "kg"),
)
# One page: these bound each section (see reports.pdf).
_MAX_FOLLOW_UPS = 8
_MAX_PHASES = 4
_PLAN_DOSES = 8
_PLAN_VISITS = 5


def visit_summary(
    infant: m.Infant,
    *,
    viewer: m.User,
    today: datetime.date,
    growth_chart_png: bytes | None,
) -> VisitSummary:
    norms_versions: set[str] = set()
    denver_heading, denver_rows = _denver(infant, norms_versions)
    growth_heading, growth_rows = _growth(infant)
    adherence_heading, adherence_rows = _adherence(infant, today=today)
    return VisitSummary(
        clinic=infant.clinic.name,
        printed=f"Printed {today:%Y-%m-%d} by {viewer}",
        infant=f"{infant.given_name} {infant.family_name}",
        identity=_identity(infant),
        ages=_ages(infant, today),
        treatment=_treatment(infant, today=today),
        growth_heading=growth_heading,
        growth=growth_rows,
        growth_chart_png=growth_chart_png,
        labs=_labs(infant),
        denver_heading=denver_heading,
        denver=denver_rows,
        adherence_heading=adherence_heading,
        adherence=adherence_rows,
        follow_ups=_follow_ups(infant, today=today),
        sources=(
            f"Growth: {core_growth.WHO_2006.name} ({core_growth.WHO_2006.version}). "
            f"Denver II norms: {', '.join(sorted(norms_versions)) or 'none used'}. "
            "Lab flags as stored with each result, or by the clinical core's catalogue "
            f"({core_labs.LAB_RULES_VERSION}) with the clinic's ranges."
        ),
    )


def _identity(infant: m.Infant) -> str:
    parts = [
        f"Record {infant.record_number}",
        infant.get_sex_display().lower(),
        f"born {infant.birth_date:%Y-%m-%d}",
    ]
    if infant.gestational_age_days:
        weeks, days = divmod(infant.gestational_age_days, 7)
        parts.append(f"at {weeks}+{days} weeks")
    if infant.diagnosis_date:
        parts.append(f"diagnosed {infant.diagnosis_date:%Y-%m-%d}")
    return " · ".join(parts)


def _ages(infant: m.Infant, today: datetime.date) -> str:
    age = ages.growth_age(
        infant.birth_date, today, gestational_age_days=infant.gestational_age_days
    )
    text = f"Age {age.chronological_age_months:.1f} months"
    if age.corrected:
        text += f"; corrected {age.age_months:.1f} months (born {age.correction_days} days early)"
    return text


def _treatment(infant: m.Infant, *, today: datetime.date) -> str:
    courses = chart_loader.b12_courses(infant)
    if not courses:
        return "No B12 course recorded."
    course = courses[-1]
    words = (
        f"{course.get_drug_display()} {course.dose.normalize():f} {course.dose_unit} "
        f"{course.get_route_display().lower()}"
        + (f", {course.regimen_name}" if course.regimen_name else "")
        + f"; first dose {courses[0].started_on:%Y-%m-%d}"
    )
    if course.stopped_on and course.stopped_on <= today:
        return words + f"; stopped {course.stopped_on:%Y-%m-%d}."
    phases = chart_loader.course_phases(course, today=today)
    return words + (f"; current phase: {phases[-1].name}." if phases else ".")


def _growth(infant: m.Infant) -> tuple[str, tuple[Row, ...]]:
    latest = infant.growth_measurements.active().order_by("-measured_on").first()
    if latest is None:
        return "Growth: no measurement recorded", ()
    age = ages.growth_age(
        infant.birth_date, latest.measured_on, gestational_age_days=infant.gestational_age_days
    )
    scored = None
    if infant.sex in ("male", "female") and age.age_days >= 0:
        scored = core_growth.assess_growth(core_measurement(latest, sex=infant.sex, age=age))
    rows = []
    for indicator, label, field, unit in _GROWTH_ROWS:
        value = getattr(latest, field)
        if value is None:
            continue
        result = scored[indicator] if scored is not None else None
        computed = result is not None and result.z is not None and result.centile is not None
        rows.append(
            Row(
                (
                    label,
                    f"{value.normalize():f} {unit}",
                    f"{result.z:+.2f}" if computed else "-",
                    centile_text(result.centile) if computed else "not scored",
                ),
                attention=computed and abs(result.z) > 2,
            )
        )
    corrected = " (corrected age)" if age.corrected else ""
    return (
        f"Growth, measured {latest.measured_on:%Y-%m-%d} at {age.age_months:.1f} months{corrected}",
        tuple(rows),
    )


def _labs(infant: m.Infant) -> tuple[Row, ...]:
    overrides = lab_overrides_for(infant.clinic)
    sex = core_labs.Sex(infant.sex) if infant.sex in ("male", "female") else None
    latest: dict[str, m.LabResult] = {}
    for row in (
        infant.lab_results.active()
        .filter(analyte__in=[code for code, _ in PANEL])
        .order_by("collected_on")
    ):
        latest[row.analyte] = row
    rows = []
    for code, label in PANEL:
        row = latest.get(code)
        if row is None:
            rows.append(Row((label, "not measured", "", "", "")))
            continue
        flag = row.flag or _computed_flag(row, infant, sex, overrides)
        reference = _reference(row, infant, sex, overrides)
        rows.append(
            Row(
                (label, row.result_text, f"{row.collected_on:%Y-%m-%d}", flag or "-", reference),
                attention=flag not in ("", "normal", "unknown"),
            )
        )
    return tuple(rows)


def _computed_flag(row, infant, sex, overrides) -> str:
    if row.value is None or not row.unit:
        return ""
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
    return interpretation.flag.value


def _reference(row, infant, sex, overrides) -> str:
    if row.reference_low is not None or row.reference_high is not None:
        low = "" if row.reference_low is None else f"{row.reference_low.normalize():f}"
        high = "" if row.reference_high is None else f"{row.reference_high.normalize():f}"
        return f"{low}-{high} {row.unit}"
    try:
        reference = core_labs.applicable_range(
            core_labs.DEFAULT_CATALOGUE,
            row.analyte,
            age_days=(row.collected_on - infant.birth_date).days,
            sex=sex,
            lab=row.lab_name or None,
            overrides=overrides,
        )
    except core_labs.LabError:
        return ""
    if reference is None:
        return "no range for the age"
    low = "" if reference.low is None else f"{reference.low.normalize():f}"
    high = "" if reference.high is None else f"{reference.high.normalize():f}"
    return f"{low}-{high} {reference.unit}"


def _denver(infant: m.Infant, versions: set[str]) -> tuple[str, tuple[Row, ...]]:
    data = chart_loader.denver_data(infant)
    if data.norms_version:
        versions.update(data.norms_version.split(", "))
    if not data.assessments:
        return "Denver II: no assessment recorded", ()
    last = data.assessments[-1]
    heading = (
        f"Denver II, {last.assessed_on:%Y-%m-%d} (age line {last.age_line_months:.1f} months): "
        + (last.test_result or "reported by sector")
    )
    statuses = {status.sector: status for status in last.statuses}
    developmental = {age.sector: age for age in last.sector_ages}
    rows = []
    for sector in SECTORS:
        status = statuses.get(sector)
        if status is None:
            conclusion = "not reported" if not last.test_result else "no item scored"
        elif status.basis == "reported":
            conclusion = f"{status.status} (reported)"
        else:
            conclusion = (
                f"{status.status}: {status.delayed_items} delayed, {status.caution_items} caution"
            )
        age = developmental.get(sector)
        age_text = (
            f"{age.months:g} months"
            + {"at_least": " or more", "below": " or less"}.get(age.kind, "")
            if age
            else "-"
        )
        rows.append(
            Row(
                (SECTOR_LABELS[sector], conclusion, age_text),
                attention=status is not None and status.status != "normal",
            )
        )
    return heading, tuple(rows)


def _adherence(infant: m.Infant, *, today: datetime.date) -> tuple[str, tuple[Row, ...]]:
    previous = (
        infant.visits.active()
        .filter(visit_date__lt=today)
        .exclude(visit_type="phone")
        .order_by("-visit_date")
        .first()
    )
    since = previous.visit_date if previous else None
    planned = list(
        m.PlannedDose.objects.active()
        .filter(course__infant=infant, course__drug__in=chart_loader.B12_DRUGS)
        .exclude(status__in=[PlannedDoseStatus.SUPERSEDED, PlannedDoseStatus.CANCELLED])
        .prefetch_related("administrations")
        .order_by("due_on")
    )
    course_numbers: dict[object, int] = {}
    records = []
    for dose in planned:
        given = [a.given_on for a in dose.administrations.all() if not a.is_voided]
        records.append(
            DoseRecord(
                course=course_numbers.setdefault(dose.course_id, len(course_numbers)),
                phase_number=dose.phase_number,
                phase_name=dose.phase_name,
                due_on=dose.due_on,
                given_on=min(given) if given else None,
                missed=dose.status == PlannedDoseStatus.MISSED,
            )
        )
    # Grace periods need the whole phase; only the doses due in the period are counted.
    in_period = [
        (dose, verdict)
        for dose, verdict in dose_timeliness(records, today=today)
        if since is None or dose.due_on > since
    ]
    due = [d for d in records if d.due_on <= today and (since is None or d.due_on > since)]
    heading = (
        f"Doses since the last visit ({since:%Y-%m-%d})"
        if since
        else "Doses since the first dose (no earlier visit)"
    )
    if not due:
        return heading, (Row(("No dose was due in this period", "", "", "", "", "")),)
    rows = []
    for name in dict.fromkeys(d.phase_name for d in due):
        verdicts = [v for d, v in in_period if d.phase_name == name]
        due_count = sum(1 for d in due if d.phase_name == name)
        late, missed = verdicts.count("late"), verdicts.count("missed")
        rows.append(
            Row(
                (
                    name,
                    str(due_count),
                    str(verdicts.count("on time")),
                    str(late),
                    str(missed),
                    str(due_count - len(verdicts)),
                ),
                attention=bool(late or missed),
            )
        )
    return heading, tuple(rows[-_MAX_PHASES:])


def _follow_ups(infant: m.Infant, *, today: datetime.date) -> tuple[Row, ...]:
    rows = [
        Row(
            (
                alert.raised_at.date().isoformat(),
                f"{alert.get_severity_display()}: {alert.message}",
            ),
            attention=alert.severity != "info",
        )
        for alert in open_alerts_for(infant)
    ]
    rows += [
        Row((f"{task.due_on:%Y-%m-%d}", task.question), attention=task.due_on <= today)
        for task in m.ReviewTask.objects.active()
        .filter(course__infant=infant, completed_at__isnull=True, superseded=False)
        .order_by("due_on")
    ]
    rows += [
        Row(
            (
                f"{visit.visit_date:%Y-%m-%d}",
                f"Booked: {visit.reason or visit.get_visit_type_display()}",
            )
        )
        for visit in infant.visits.active().filter(visit_date__gte=today).order_by("visit_date")
    ]
    if not rows:
        return (
            Row(
                ("", "Nothing open."),
            ),
        )
    if len(rows) > _MAX_FOLLOW_UPS:
        more = len(rows) - (_MAX_FOLLOW_UPS - 1)
        rows = [*rows[: _MAX_FOLLOW_UPS - 1], Row(("", f"and {more} more in the record"))]
    return tuple(rows)


# --- The guardian's plan ----------------------------------------------------------------------------


def _long_day(day: datetime.date, language: str) -> str:
    """The day with its year ("21 Kasım 2026"): a printed sheet is kept long after the week."""
    with translation.override(language):
        return format_date(day, "j F Y")


def _dose_words(language: str, dose: m.PlannedDose) -> str:
    amount = f"{Decimal(dose.dose).normalize():f}"
    unit = phrase(language, "microgram") if dose.dose_unit == "microgram" else dose.dose_unit
    key = "injection" if dose.route in INJECTED_ROUTES else "by_mouth"
    return phrase(language, key, dose=f"{amount} {unit}")


def take_home_plan(infant: m.Infant, *, language: str, today: datetime.date) -> TakeHomePlan:
    language = language_or_fallback(language)
    doses = (
        m.PlannedDose.objects.active()
        .filter(
            course__infant=infant,
            course__voided_at__isnull=True,
            course__status="active",
            status=PlannedDoseStatus.PLANNED,
            due_on__gte=today,
            administrations__isnull=True,
        )
        .order_by("due_on", "number")[:_PLAN_DOSES]
    )
    visits = (
        infant.visits.active().filter(visit_date__gte=today).order_by("visit_date")[:_PLAN_VISITS]
    )
    kinds = item_kinds()
    return TakeHomePlan(
        language=language,
        clinic=infant.clinic.name,
        child=infant.given_name,
        printed=_long_day(today, language),
        doses=tuple(
            Row(
                (
                    format_day(dose.due_on, language),
                    _dose_words(language, dose),
                    phrase(
                        language,
                        "at_home" if dose.at_home or dose.route == Route.ORAL else "at_clinic",
                    ),
                )
            )
            for dose in doses
        ),
        visits=tuple(
            Row(
                (
                    format_day(visit.visit_date, language),
                    phrase(
                        language,
                        "visit_with_tests"
                        if any(kinds.get(code) is ItemKind.LAB for code in visit.monitoring_items)
                        else "visit",
                    ),
                    phrase(language, "at_clinic"),
                )
            )
            for visit in visits
        ),
    )
