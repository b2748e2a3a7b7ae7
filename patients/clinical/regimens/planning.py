"""Planning a course from a regimen, and re-planning it after an event without touching its past.

A plan is a pure function of the regimen, the start date, the clinic's closing days, the horizon
and the course's events. Re-planning adds one event and plans again, then proves that every dose
and review point before the event's date is unchanged before returning the old ones as they were.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum, auto
from typing import TypeVar

from patients.clinical.regimens.model import (
    NO_CLOSURES,
    ONE_DAY,
    AdvanceToNextPhase,
    AfterDoses,
    ChangeDoseOrRoute,
    ClinicClosures,
    ClosingDayPolicy,
    CourseEvent,
    CoursePlan,
    DoseStatus,
    DoseUnit,
    ForDuration,
    IntervalKind,
    MeasuredFrom,
    MissedDose,
    OpenEnded,
    Phase,
    PlannedDose,
    Regimen,
    ReviewPoint,
    Route,
    StopCourse,
    UntilDate,
)


class PlanningError(ValueError):
    """The events do not fit the course: a missed dose on a day without one, an advance past the
    last phase, an event before the start, or a horizon missing for a phase that has no end."""


_Dated = TypeVar("_Dated", PlannedDose, ReviewPoint)

# Events of one day apply in this order: a stop cancels the day, an advance chooses the phase, a
# change sets what is given, and only then can that day's dose be missed.
_SAME_DAY_ORDER: dict[type, int] = {
    StopCourse: 0,
    AdvanceToNextPhase: 1,
    ChangeDoseOrRoute: 2,
    MissedDose: 3,
}


def preview_course(
    regimen: Regimen,
    start: dt.date,
    *,
    closures: ClinicClosures = NO_CLOSURES,
    horizon: dt.date | None = None,
    events: Iterable[CourseEvent] = (),
) -> CoursePlan:
    """Every planned dose and review point of a course starting on ``start``, without side effects.

    ``horizon`` is the last date to plan doses of open-ended and lifelong phases; it is required
    once such a phase is reached, and ignored by phases that end on their own.
    """
    return _Planner(regimen, start, closures, horizon, tuple(events)).plan()


def replan_course(
    plan: CoursePlan, event: CourseEvent, *, horizon: dt.date | None = None
) -> CoursePlan:
    """The plan after ``event``: doses and review points before ``event.on`` come back unchanged.

    A missed dose and an advance are facts of the course's history, so no new event may be dated
    before one already recorded; a change or a stop may be recorded ahead of time and later
    preceded. After a stop, only an earlier stop is accepted. ``horizon`` defaults to the plan's
    and may only move later, since an earlier one would take back doses already planned.
    """
    if horizon is not None and plan.horizon is not None and horizon < plan.horizon:
        raise PlanningError(f"the horizon can move later than {plan.horizon}, not earlier")
    if event.on < plan.start:
        raise PlanningError(f"the course starts on {plan.start}; nothing to re-plan on {event.on}")
    history = [e for e in plan.events if isinstance(e, MissedDose | AdvanceToNextPhase)]
    latest = max(history, key=lambda e: e.on, default=None)
    if latest is not None and event.on < latest.on:
        kind = "a missed dose" if isinstance(latest, MissedDose) else "an advance"
        raise PlanningError(
            f"{kind} on {latest.on} is already recorded: re-plan from that date or later"
        )
    if isinstance(event, AdvanceToNextPhase) and any(
        isinstance(e, MissedDose) and e.on == event.on for e in plan.events
    ):
        # Advancing on that day would replace the very dose recorded as missed, erasing it.
        raise PlanningError(
            f"a missed dose on {event.on} is already recorded: advance from the next day"
        )
    stops = [e.on for e in plan.events if isinstance(e, StopCourse) and e.on <= event.on]
    if stops and not isinstance(event, StopCourse):
        raise PlanningError(
            f"the course was stopped on {min(stops)}; nothing to re-plan on {event.on}"
        )
    if isinstance(event, MissedDose) and not any(
        dose.date == event.on and dose.status is DoseStatus.PLANNED for dose in plan.doses
    ):
        raise PlanningError(f"no dose is planned on {event.on} to be missed")
    renewed = preview_course(
        plan.regimen,
        plan.start,
        closures=plan.closures,
        horizon=plan.horizon if horizon is None else horizon,
        events=(*plan.events, event),
    )
    return replace(
        renewed,
        doses=_keep_past(plan.doses, renewed.doses, event.on),
        review_points=_keep_past(plan.review_points, renewed.review_points, event.on),
    )


def _keep_past(
    before: tuple[_Dated, ...], after: tuple[_Dated, ...], on: dt.date
) -> tuple[_Dated, ...]:
    past = tuple(item for item in before if item.date < on)
    if after[: len(past)] != past:
        # Only a plan edited after it was planned gets here; re-planning it would contradict
        # what was already given.
        raise PlanningError(f"the plan before {on} does not follow from its regimen and events")
    return past + after[len(past) :]


class _Ending(Enum):
    FINISHED = auto()
    ADVANCED = auto()
    STOPPED = auto()
    HORIZON = auto()


@dataclass(frozen=True)
class _PhaseOutcome:
    ending: _Ending
    on: dt.date | None = None


class _Planner:
    """Walks the regimen dose by dose, applying each event when the walk reaches its date."""

    def __init__(
        self,
        regimen: Regimen,
        start: dt.date,
        closures: ClinicClosures,
        horizon: dt.date | None,
        events: tuple[CourseEvent, ...],
    ) -> None:
        for event in events:
            if event.on < start:
                raise PlanningError(
                    f"the course starts on {start}; an event on {event.on} is before it"
                )
        self.regimen = regimen
        self.start = start
        self.closures = closures
        self.horizon = horizon
        self.events = events
        self.pending = deque(sorted(events, key=lambda e: (e.on, _SAME_DAY_ORDER[type(e)])))
        self.doses: list[PlannedDose] = []
        self.review_points: list[ReviewPoint] = []
        self.sequence = 0
        # No dose lands before the latest event applied: that is what keeps the past unchanged.
        self.floor = start
        self.last_dose_day: dt.date | None = None
        # What the next phase counts its first interval from: the last dose's calendar date when
        # keeping the calendar, the day it was actually planned when keeping the interval.
        self.last_reference_day: dt.date | None = None
        self.dose_override: Decimal | None = None
        self.unit_override: DoseUnit | None = None
        self.route_override: Route | None = None

    def plan(self) -> CoursePlan:
        outcome = _PhaseOutcome(_Ending.FINISHED)
        for number, phase in enumerate(self.regimen.phases, start=1):
            first_day = self._first_day_of_phase(phase, outcome)
            outcome = self._plan_phase(number, phase, first_day)
            if outcome.ending in (_Ending.STOPPED, _Ending.HORIZON):
                break
        self._check_events_left_over(outcome)
        return CoursePlan(
            regimen=self.regimen,
            start=self.start,
            closures=self.closures,
            horizon=self.horizon,
            events=self.events,
            doses=tuple(self.doses),
            review_points=tuple(self.review_points),
        )

    def _first_day_of_phase(self, phase: Phase, previous: _PhaseOutcome) -> dt.date:
        # CLINICAL.md section 3: the first dose is on the start date, and each later phase starts
        # one of its own intervals after the previous phase's last dose.
        if self.last_reference_day is None:
            first_day = self.start
        else:
            first_day = phase.interval.first_after(self.last_reference_day)
        if previous.ending is _Ending.ADVANCED and previous.on is not None:
            first_day = max(first_day, previous.on)
        return first_day

    def _plan_phase(self, number: int, phase: Phase, first_day: dt.date) -> _PhaseOutcome:
        if phase.is_unbounded and self.horizon is None:
            raise PlanningError(f"phase {number} ({phase.name}) has no end: give a horizon date")
        end_day = self._end_day(phase, first_day)
        # Uneven weekday gaps have no single interval to keep, so those phases keep their calendar.
        shifts_with_delay = (
            self.regimen.closing_day_policy is ClosingDayPolicy.KEEP_INTERVAL
            and phase.interval.kind is not IntervalKind.WEEKDAYS
        )
        delay = dt.timedelta(0)
        index = 0
        first_dose_day: dt.date | None = None
        while True:
            # Ends are read on the regimen's calendar, so closing days never change the count.
            calendar_day = phase.interval.date_of(first_day, index)
            if isinstance(phase.end, AfterDoses) and index >= phase.end.count:
                outcome = _PhaseOutcome(_Ending.FINISHED)
                break
            if end_day is not None and calendar_day >= end_day:
                outcome = _PhaseOutcome(_Ending.FINISHED)
                break
            dose, event = self._settle(number, phase, index, calendar_day + delay)
            if isinstance(event, StopCourse):
                outcome = _PhaseOutcome(_Ending.STOPPED, event.on)
                break
            if isinstance(event, AdvanceToNextPhase):
                if number == len(self.regimen.phases):
                    raise PlanningError(
                        f"{phase.name!r} is the last phase: stop the course on {event.on} instead"
                    )
                outcome = _PhaseOutcome(_Ending.ADVANCED, event.on)
                break
            if self._beyond_horizon(dose.date, phase):
                outcome = _PhaseOutcome(_Ending.HORIZON)
                break
            self._add(dose)
            if first_dose_day is None:
                first_dose_day = dose.date
            if shifts_with_delay:
                delay = dose.date - calendar_day
            index += 1
        if isinstance(phase.end, OpenEnded) and first_dose_day is not None:
            self._add_review_points(number, phase, phase.end, first_dose_day, outcome)
        return outcome

    def _end_day(self, phase: Phase, first_day: dt.date) -> dt.date | None:
        """The first calendar day on which the phase gives no more doses, if it has one."""
        match phase.end:
            case ForDuration(length=length, measured_from=MeasuredFrom.PHASE_START):
                return length.after(first_day)
            case ForDuration(length=length, measured_from=MeasuredFrom.COURSE_START):
                return length.after(self.start)
            case UntilDate(last_day=last_day):
                return last_day + ONE_DAY
            case _:
                return None

    def _place(
        self,
        number: int,
        phase: Phase,
        index: int,
        planned_day: dt.date,
        earliest: dt.date | None = None,
    ) -> PlannedDose:
        route = self.route_override or phase.route
        # CLINICAL.md section 3: closing days move in-clinic doses only; an oral dose is taken at home.
        at_home = phase.given_at_home or route is Route.ORAL
        day = max(planned_day, earliest or planned_day, self.floor)
        if self.last_dose_day is not None:
            # Two doses never share a day: a moved dose queues behind the one before it.
            day = max(day, self.last_dose_day + ONE_DAY)
        if not at_home:
            day = self.closures.next_open_day(day)
        return PlannedDose(
            date=day,
            phase_number=number,
            phase_name=phase.name,
            sequence=self.sequence + 1,
            sequence_in_phase=index + 1,
            dose=self.dose_override or phase.dose,
            unit=self.unit_override or phase.unit,
            route=route,
            given_at_home=at_home,
            original_date=planned_day if day != planned_day else None,
        )

    def _take_due_event(self, day: dt.date, phase: Phase) -> CourseEvent | None:
        """The next event that applies to a dose on ``day``; events past the horizon wait for it."""
        if not self.pending or self.pending[0].on > day:
            return None
        if phase.is_unbounded and self.horizon is not None and self.pending[0].on > self.horizon:
            return None
        event = self.pending.popleft()
        self.floor = max(self.floor, event.on)
        return event

    def _apply_change(self, change: ChangeDoseOrRoute) -> None:
        self.dose_override = change.dose or self.dose_override
        self.unit_override = change.unit or self.unit_override
        self.route_override = change.route or self.route_override

    def _settle(
        self, number: int, phase: Phase, index: int, planned_day: dt.date
    ) -> tuple[PlannedDose, StopCourse | AdvanceToNextPhase | None]:
        """The dose as the events up to its day leave it, and a stop or advance that replaces it.

        A made-up dose meets the events of its own day too: it can be missed, changed or stopped.
        """
        earliest = None
        while True:
            dose = self._place(number, phase, index, planned_day, earliest)
            event = self._take_due_event(dose.date, phase)
            if isinstance(event, ChangeDoseOrRoute):
                self._apply_change(event)
            elif isinstance(event, MissedDose):
                if dose.date != event.on:
                    raise PlanningError(f"no dose is planned on {event.on} to be missed")
                self.doses.append(replace(dose, status=DoseStatus.MISSED))
                self.last_dose_day = dose.date
                earliest = event.make_up_on or dose.date + ONE_DAY
            else:
                return dose, event

    def _beyond_horizon(self, day: dt.date, phase: Phase) -> bool:
        return phase.is_unbounded and self.horizon is not None and day > self.horizon

    def _add(self, dose: PlannedDose) -> None:
        self.doses.append(dose)
        self.sequence += 1
        self.last_dose_day = dose.date
        if self.regimen.closing_day_policy is ClosingDayPolicy.KEEP_INTERVAL:
            self.last_reference_day = dose.date
        else:
            self.last_reference_day = dose.original_date or dose.date

    def _add_review_points(
        self,
        number: int,
        phase: Phase,
        end: OpenEnded,
        first_dose_day: dt.date,
        outcome: _PhaseOutcome,
    ) -> None:
        phases = self.regimen.phases
        next_phase_name = phases[number].name if number < len(phases) else None
        # Reviews stop where the phase stops, including at a stop or advance beyond the horizon.
        ends_on = outcome.on
        if outcome.ending is _Ending.HORIZON:
            later = [e.on for e in self.pending if isinstance(e, StopCourse | AdvanceToNextPhase)]
            ends_on = min(later, default=None)
        times = 1
        while True:
            day = self.closures.next_open_day(end.review_every.after(first_dose_day, times))
            if ends_on is not None and day >= ends_on:
                return
            # The first review is always planned, even past the horizon, so a decision is due.
            if times > 1 and self.horizon is not None and day > self.horizon:
                return
            self.review_points.append(ReviewPoint(day, number, phase.name, next_phase_name))
            times += 1

    def _check_events_left_over(self, outcome: _PhaseOutcome) -> None:
        # Past the horizon, events wait for it to be extended; after a stop, nothing is left to act on.
        if outcome.ending is not _Ending.FINISHED:
            return
        for event in self.pending:
            if isinstance(event, MissedDose):
                raise PlanningError(f"no dose is planned on {event.on} to be missed")
            if isinstance(event, AdvanceToNextPhase):
                raise PlanningError(f"the course has no dose left to advance from on {event.on}")
