"""Treatment courses: start from a regimen, record what was given, change the plan from a date.

The plan of a course is a pure function of its regimen (copied onto the course when it starts),
its start date, its clinic's closing days, a planning horizon and its events
(patients.clinical.regimens). Planned-dose rows materialise that plan. An event re-plans only
what lies on or after its date: earlier rows are never touched, later pending rows are superseded
(kept, with history) and replaced by the new plan's rows in the same transaction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from patients import models as m
from patients.clinical import regimens as engine
from patients.models.treatment import (
    CourseEventKind,
    CourseStatus,
    DoseUnit,
    PlannedDoseStatus,
    Route,
)
from patients.services.alerts import (
    REFRESH_CHUNK,
    refresh_alerts_after_commit,
    refresh_alerts_of,
)
from patients.services.bulk import cycle_collection_paused, insert_values, insert_with_history
from patients.services.records import create_record, save_record
from patients.services.reminders import plan_reminders_for, replan_after_change

logger = logging.getLogger(__name__)


def clinic_closures(clinic: m.Clinic) -> engine.ClinicClosures:
    return _closures_of({clinic.pk})[clinic.pk]


def course_regimen(course: m.TreatmentCourse) -> engine.Regimen:
    return engine.parse_regimen(course.regimen, where="course regimen")


def _engine_event(event: m.CourseEvent) -> engine.CourseEvent:
    match event.kind:
        case CourseEventKind.MISSED:
            return engine.MissedDose(on=event.on, make_up_on=event.make_up_on)
        case CourseEventKind.ADVANCE:
            return engine.AdvanceToNextPhase(on=event.on)
        case CourseEventKind.CHANGE:
            return engine.ChangeDoseOrRoute(
                on=event.on,
                dose=event.dose,
                unit=engine.DoseUnit(event.dose_unit) if event.dose_unit else None,
                route=engine.Route(event.route) if event.route else None,
            )
        case CourseEventKind.STOP:
            return engine.StopCourse(on=event.on)
    raise ValueError(f"unknown course event {event.kind!r}")


def default_horizon(started_on: datetime.date, today: datetime.date) -> datetime.date:
    """How far ahead open-ended and lifelong phases are planned; a periodic job extends it."""
    return max(started_on, today) + relativedelta(months=settings.PLANNING_HORIZON_MONTHS)


def plan_for(
    course: m.TreatmentCourse, *, horizon: datetime.date | None = None
) -> engine.CoursePlan:
    events = [_engine_event(e) for e in course.events.active().order_by("on", "created_at")]
    try:
        return engine.preview_course(
            course_regimen(course),
            course.started_on,
            closures=clinic_closures(course.infant.clinic),
            horizon=horizon or course.planned_until,
            events=events,
        )
    except engine.PlanningError as error:
        raise ValidationError(str(error)) from None


def _rows(course: m.TreatmentCourse, doses, *, version: int) -> list[m.PlannedDose]:
    return [
        m.PlannedDose(course=course, **values) for values in _row_values(doses, version=version)
    ]


def _row_values(doses, *, version: int) -> list[dict]:
    """The planned-dose rows of a plan's doses as {attname: value}, without the course."""
    return [
        {
            "number": dose.sequence,
            "phase_number": dose.phase_number,
            "phase_name": dose.phase_name,
            "number_in_phase": dose.sequence_in_phase,
            "due_on": dose.date,
            "original_due_on": dose.original_date,
            "dose": dose.dose,
            "dose_unit": str(dose.unit),
            "route": str(dose.route),
            "at_home": dose.given_at_home,
            "status": PlannedDoseStatus.MISSED
            if dose.status == engine.DoseStatus.MISSED
            else PlannedDoseStatus.PLANNED,
            "plan_version": version,
        }
        for dose in doses
    ]


def _sync_review_tasks(
    course: m.TreatmentCourse, plan: engine.CoursePlan, *, actor: m.User | None
) -> None:
    """Open review tasks follow the plan's review points; settled tasks are never touched."""
    wanted = {(p.phase_number, p.date): p for p in plan.review_points}
    open_tasks = course.review_tasks.active().filter(completed_at__isnull=True, superseded=False)
    stale = [t for t in open_tasks if (t.phase_number, t.due_on) not in wanted]
    for task in stale:
        task.superseded = True
    bulk_update_with_history(
        stale, m.ReviewTask, ["superseded"], default_user=actor, default_change_reason="re-planned"
    )
    existing = set(
        course.review_tasks.active().filter(superseded=False).values_list("phase_number", "due_on")
    )
    new = [
        m.ReviewTask(
            course=course,
            phase_number=p.phase_number,
            phase_name=p.phase_name,
            due_on=p.date,
            question=p.question,
        )
        for key, p in wanted.items()
        if key not in existing
    ]
    bulk_create_with_history(new, m.ReviewTask, default_user=actor)


def _follow_after_commit(infant: m.Infant) -> None:
    """A changed plan changes what the alerts and the guardians' reminders read."""
    refresh_alerts_after_commit(infant)
    replan_after_change(infant)


def _regimen_fields(regimen: engine.Regimen, data: dict) -> dict:
    """What a course copies from its regimen: the first phase's drug, dose and route, and the
    regimen itself (`data`, its stored form), so a later edit of the regimen never changes it."""
    first_phase = regimen.phases[0]
    return {
        "drug": regimen.drug,
        "route": str(first_phase.route),
        "dose": first_phase.dose,
        "dose_unit": str(first_phase.unit),
        "regimen_name": regimen.name,
        "regimen_key": regimen.key,
        "regimen_version": regimen.version,
        "regimen_source": regimen.source[:300],
        "regimen": data,
    }


@transaction.atomic
def start_course(
    *,
    infant: m.Infant,
    actor: m.User | None,
    regimen: engine.Regimen,
    started_on: datetime.date,
    indication: str = "",
    today: datetime.date | None = None,
) -> m.TreatmentCourse:
    """Start a course from a regimen and plan every dose (open-ended phases up to the horizon)."""
    if infant.is_voided:
        raise ValidationError("This infant's record was voided; no course can start on it.")
    today = today or timezone.localdate()
    course = create_record(
        m.TreatmentCourse,
        actor=actor,
        infant=infant,
        **_regimen_fields(regimen, engine.regimen_to_data(regimen)),
        indication=indication,
        started_on=started_on,
        planned_until=default_horizon(started_on, today),
        prescribed_by=actor,
    )
    plan = plan_for(course)
    bulk_create_with_history(
        _rows(course, plan.doses, version=1), m.PlannedDose, default_user=actor
    )
    _sync_review_tasks(course, plan, actor=actor)
    _follow_after_commit(infant)
    return course


@dataclass(frozen=True)
class CourseStart:
    """One course for `start_courses`: what `start_course` takes for one infant."""

    infant: m.Infant
    regimen: engine.Regimen
    started_on: datetime.date
    indication: str = ""


@transaction.atomic
@cycle_collection_paused()  # the batch's rows make no cycles (services.bulk)
def start_courses(
    starts: Sequence[CourseStart],
    *,
    actor: m.User | None,
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[m.TreatmentCourse]:
    """Start many courses together: a clinic bringing its cohort into the tracker, or a regimen
    rolled out to a list of infants. All or nothing: an infant that cannot start refuses the whole
    batch, named in the error, and nothing is written.

    Each course gets what `start_course` gives it (the course, every planned dose, its review
    tasks, history rows by `actor`, the guardians' reminders, and the alerts refreshed after the
    commit), but a plan is worked out once per regimen, start date and clinic calendar, rows are
    written in a few streams (services.bulk), and the reminders of all the infants are planned
    in one pass (reminders.plan_reminders_for). One course at a time costs about sixty queries
    and 150 ms at 10,000 infants; this costs a few statements per thousand courses.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    infants = m.Infant.objects.select_related("clinic").in_bulk([s.infant.pk for s in starts])
    voided = [str(infants[s.infant.pk]) for s in starts if infants[s.infant.pk].is_voided]
    if voided:
        raise ValidationError(
            "These infants' records were voided; no course can start on them: "
            + "; ".join(voided)
            + "."
        )
    closures = _closures_of({infant.clinic_id for infant in infants.values()})
    regimens: dict[int, tuple[engine.Regimen, dict]] = {}
    plans: dict[tuple, engine.CoursePlan] = {}
    checked: set[tuple] = set()
    dose_values: dict[tuple, list[dict]] = {}
    courses, doses, tasks = [], [], []
    for start in starts:
        infant = infants[start.infant.pk]
        if id(start.regimen) not in regimens:
            # A course is planned from its stored copy of the regimen, as `plan_for` reads it.
            data = engine.regimen_to_data(start.regimen)
            regimens[id(start.regimen)] = (engine.parse_regimen(data, where="regimen"), data)
        regimen, data = regimens[id(start.regimen)]
        horizon = default_horizon(start.started_on, today)
        course = m.TreatmentCourse(
            infant=infant,
            **_regimen_fields(regimen, data),
            indication=start.indication,
            started_on=start.started_on,
            planned_until=horizon,
            prescribed_by=actor,
        )
        group = (id(start.regimen), start.started_on, infant.clinic_id, start.indication)
        if group not in checked:
            # Every field but the infant is the same within a group, so the full validation
            # (which looks each foreign key up) runs once per group; the infant's own rule (no
            # course before birth) runs for every course.
            course.full_clean()
            checked.add(group)
        else:
            course.clean()
        key = (id(start.regimen), start.started_on, infant.clinic_id, horizon)
        if key not in plans:
            try:
                plans[key] = engine.preview_course(
                    regimen,
                    start.started_on,
                    closures=closures[infant.clinic_id],
                    horizon=horizon,
                    events=[],
                )
            except engine.PlanningError as error:
                raise ValidationError(str(error)) from None
        plan = plans[key]
        courses.append(course)
        if key not in dose_values:
            dose_values[key] = _row_values(plan.doses, version=1)
        doses += [{**row, "course_id": course.pk} for row in dose_values[key]]
        tasks += [
            m.ReviewTask(
                course=course,
                phase_number=p.phase_number,
                phase_name=p.phase_name,
                due_on=p.date,
                question=p.question,
            )
            for p in plan.review_points
        ]
        if progress is not None:
            progress(1)
    reason = f"started with {len(courses)} courses together"
    insert_with_history(m.TreatmentCourse, courses, now=now, change_reason=reason, user=actor)
    insert_values(m.PlannedDose, doses, now=now, history=True, change_reason=reason, user=actor)
    insert_with_history(m.ReviewTask, tasks, now=now, change_reason=reason, user=actor)
    # In the same transaction: the courses and their reminders are committed together.
    plan_reminders_for(list(infants), now=now)
    _refresh_alerts_after_commit(list(infants))
    return courses


def _closures_of(clinic_ids: set) -> dict:
    """`clinic_closures` of several clinics, in two queries."""
    weekdays: dict = {pk: set() for pk in clinic_ids}
    dates: dict = {pk: set() for pk in clinic_ids}
    for clinic_id, weekday in m.ClinicWeeklyClosure.objects.filter(
        clinic_id__in=clinic_ids
    ).values_list("clinic_id", "weekday"):
        weekdays[clinic_id].add(weekday)
    for clinic_id, date in m.ClinicHoliday.objects.filter(clinic_id__in=clinic_ids).values_list(
        "clinic_id", "date"
    ):
        dates[clinic_id].add(date)
    return {
        pk: engine.ClinicClosures(weekdays=frozenset(weekdays[pk]), dates=frozenset(dates[pk]))
        for pk in clinic_ids
    }


def _refresh_alerts_after_commit(infant_ids: list) -> None:
    """The alert rules read the courses (a first B12 dose opens the potassium window); once the
    batch is committed, the infants' alerts are refreshed, `REFRESH_CHUNK` infants at a time as
    the periodic pass does. The courses have committed by then: a rule failing for one chunk is
    logged and repaired by the next periodic pass rather than keeping the other chunks' alerts
    from being raised."""

    def refresh() -> None:
        now = timezone.now()
        for start in range(0, len(infant_ids), REFRESH_CHUNK):
            chunk = infant_ids[start : start + REFRESH_CHUNK]
            try:
                refresh_alerts_of(chunk, now=now)
            except Exception:
                logger.exception(
                    "alerts not refreshed after courses were started (chunk of %d)", len(chunk)
                )

    transaction.on_commit(refresh, robust=True)


@transaction.atomic
def record_course_event(
    course: m.TreatmentCourse,
    *,
    actor: m.User | None,
    kind: str,
    on: datetime.date,
    reason: str = "",
    make_up_on: datetime.date | None = None,
    dose: Decimal | None = None,
    dose_unit: str = "",
    route: str = "",
) -> m.CourseEvent:
    """Record a missed dose, an advance, a change or a stop, and re-plan from its date."""
    course = m.TreatmentCourse.objects.select_for_update().get(pk=course.pk)
    if course.is_voided:
        raise ValidationError("This course was voided; its plan cannot change.")
    if course.status != CourseStatus.ACTIVE:
        raise ValidationError(
            f"This course is {course.get_status_display().lower()}; its plan cannot change."
        )
    if not course.regimen:
        raise ValidationError(
            "This course was recorded without a regimen, so there is no plan to change."
        )
    if on < course.started_on:
        raise ValidationError({"on": f"The course started on {course.started_on:%Y-%m-%d}."})
    if kind == CourseEventKind.CHANGE:
        _check_change(dose=dose, dose_unit=dose_unit, route=route)
    event = create_record(
        m.CourseEvent,
        actor=actor,
        course=course,
        kind=kind,
        on=on,
        reason=reason,
        make_up_on=make_up_on,
        dose=dose,
        dose_unit=dose_unit,
        route=route,
        recorded_by=actor,
    )
    plan = plan_for(course)
    pending = list(
        course.planned_doses.active().filter(status=PlannedDoseStatus.PLANNED, due_on__gte=on)
    )
    for row in pending:
        row.status = PlannedDoseStatus.SUPERSEDED
    bulk_update_with_history(
        pending,
        m.PlannedDose,
        ["status"],
        default_user=actor,
        default_change_reason=f"re-planned: {event}",
    )
    # Rows before the event date stay as they were; only the new plan's dates from it on are added.
    kept = set(
        course.planned_doses.active()
        .exclude(status=PlannedDoseStatus.SUPERSEDED)
        .values_list("number", "due_on")
    )
    version = (
        course.planned_doses.order_by("-plan_version")
        .values_list("plan_version", flat=True)
        .first()
        or 0
    ) + 1
    new = [d for d in plan.doses if d.date >= on and (d.sequence, d.date) not in kept]
    bulk_create_with_history(
        _rows(course, new, version=version),
        m.PlannedDose,
        default_user=actor,
        default_change_reason=f"re-planned: {event}",
    )
    if kind in (CourseEventKind.ADVANCE, CourseEventKind.STOP):
        # The decision the open review asked for has been taken.
        settled = list(
            course.review_tasks.active().filter(
                completed_at__isnull=True, superseded=False, due_on__lte=on
            )
        )
        for task in settled:
            task.completed_at, task.completed_by, task.outcome = timezone.now(), actor, str(event)
        bulk_update_with_history(
            settled,
            m.ReviewTask,
            ["completed_at", "completed_by", "outcome"],
            default_user=actor,
            default_change_reason=str(event),
        )
    _sync_review_tasks(course, plan, actor=actor)
    if kind == CourseEventKind.STOP:
        course.status = CourseStatus.STOPPED
        course.stopped_on = on
        course.stop_reason = reason
        save_record(course, actor=actor)
    _follow_after_commit(course.infant)
    return event


def _check_change(*, dose: Decimal | None, dose_unit: str, route: str) -> None:
    """Refuse, field by field, a change the regimen engine cannot plan.

    The record's choices are wider than the planner's: an intravenous route or a dose per kilogram
    can be written down for a single given dose, but a plan of future doses needs a fixed amount
    by a route the engine schedules (patients/clinical/regimens/model.py).
    """
    errors = {}
    if dose is not None and (not dose.is_finite() or dose <= 0):
        errors["dose"] = "A new dose must be more than zero."
    if dose_unit and dose_unit not in set(engine.DoseUnit):
        units = ", ".join(str(DoseUnit(u).label) for u in engine.DoseUnit)
        errors["dose_unit"] = f"A planned dose is given in {units}."
    if route and route not in set(engine.Route):
        routes = ", ".join(str(Route(r).label).lower() for r in engine.Route)
        errors["route"] = f"Planned doses can be given {routes}."
    if dose is None and not dose_unit and not route:
        errors["dose"] = "A change needs a new dose, unit or route."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_administration(
    planned: m.PlannedDose,
    *,
    actor: m.User | None,
    given_on: datetime.date,
    location: str,
    given_at: datetime.datetime | None = None,
    site: str = "",
    lot_number: str = "",
    given_by: m.User | None = None,
    given_by_name: str = "",
    notes: str = "",
) -> m.DoseAdministration:
    """Record a planned dose as given (by whom, where, which site and lot)."""
    planned = m.PlannedDose.objects.select_for_update().select_related("course").get(pk=planned.pk)
    if planned.status not in (PlannedDoseStatus.PLANNED, PlannedDoseStatus.MISSED):
        raise ValidationError(
            f"Dose {planned.number} is {planned.get_status_display().lower()}; it cannot be given."
        )
    administration = create_record(
        m.DoseAdministration,
        actor=actor,
        course=planned.course,
        planned_dose=planned,
        given_on=given_on,
        given_at=given_at,
        given_by=given_by,
        given_by_name=given_by_name,
        location=location,
        site=site,
        lot_number=lot_number,
        dose=planned.dose,
        dose_unit=planned.dose_unit,
        route=planned.route,
        notes=notes,
    )
    planned.status = PlannedDoseStatus.GIVEN
    save_record(planned, actor=actor)
    # A dose given ahead of its day no longer needs that day's reminders.
    _follow_after_commit(planned.course.infant)
    return administration
