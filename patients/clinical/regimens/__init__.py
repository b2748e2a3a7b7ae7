"""Injection regimens (tapers) and the schedule of every dose they plan (CLINICAL.md section 3).

A :class:`Regimen` is data a clinic edits: phases, each with a dose, a route, an
:class:`Interval` (daily, every N days, chosen weekdays, weekly, monthly, every N months) and an
end (:class:`AfterDoses`, :class:`ForDuration`, :class:`UntilDate`, :class:`OpenEnded`,
:class:`Lifelong`), plus the regimen's :class:`ClosingDayPolicy`.

Planning, pure and clock-free:

- ``preview_course(regimen, start, *, closures, horizon, events) -> CoursePlan``: every
  :class:`PlannedDose` (date, phase, sequence in course and phase, dose, unit, route, original date
  if moved) and every :class:`ReviewPoint` of an open-ended phase, with no side effects.
- ``replan_course(plan, event, *, horizon) -> CoursePlan``: the plan after a
  :class:`MissedDose`, :class:`AdvanceToNextPhase`, :class:`ChangeDoseOrRoute` or
  :class:`StopCourse`; everything dated before the event comes back unchanged.

Data:

- ``load_shipped_regimens() -> dict[str, Regimen]``: the regimens of CLINICAL.md section 3.
- ``parse_regimen(data) -> Regimen`` / ``parse_regimens(document)`` /
  ``parse_regimens_json(text)`` check a clinic's data and raise :class:`RegimenDataError` naming
  the faulty field; ``regimen_to_data(regimen)`` gives that data back.
"""

from patients.clinical.regimens.data import (
    RegimenDataError,
    load_shipped_regimens,
    parse_regimen,
    parse_regimens,
    parse_regimens_json,
    regimen_to_data,
)
from patients.clinical.regimens.model import (
    NO_CLOSURES,
    AdvanceToNextPhase,
    AfterDoses,
    ChangeDoseOrRoute,
    ClinicClosures,
    ClosingDayPolicy,
    CourseEvent,
    CoursePlan,
    DoseStatus,
    DoseUnit,
    Duration,
    ForDuration,
    Interval,
    IntervalKind,
    Lifelong,
    MeasuredFrom,
    MissedDose,
    OpenEnded,
    Phase,
    PhaseEnd,
    PlannedDose,
    Regimen,
    ReviewPoint,
    Route,
    StopCourse,
    TimeUnit,
    UntilDate,
)
from patients.clinical.regimens.planning import PlanningError, preview_course, replan_course

__all__ = [
    "NO_CLOSURES",
    "AdvanceToNextPhase",
    "AfterDoses",
    "ChangeDoseOrRoute",
    "ClinicClosures",
    "ClosingDayPolicy",
    "CourseEvent",
    "CoursePlan",
    "DoseStatus",
    "DoseUnit",
    "Duration",
    "ForDuration",
    "Interval",
    "IntervalKind",
    "Lifelong",
    "MeasuredFrom",
    "MissedDose",
    "OpenEnded",
    "Phase",
    "PhaseEnd",
    "PlannedDose",
    "PlanningError",
    "Regimen",
    "RegimenDataError",
    "ReviewPoint",
    "Route",
    "StopCourse",
    "TimeUnit",
    "UntilDate",
    "load_shipped_regimens",
    "parse_regimen",
    "parse_regimens",
    "parse_regimens_json",
    "preview_course",
    "regimen_to_data",
    "replan_course",
]
