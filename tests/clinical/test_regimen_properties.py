"""Properties every planned course keeps, for generated regimens, start dates and closing days.

The expected cadence is written here from CLINICAL.md section 3 (day steps, calendar months
counted from a phase's first dose, chosen weekdays), not taken from the planner.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from patients.clinical.regimens import (
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
    PlanningError,
    Regimen,
    Route,
    StopCourse,
    TimeUnit,
    UntilDate,
    preview_course,
    replan_course,
)

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
PROPERTY = settings(max_examples=120, deadline=None)
PLANNING_DAYS = 300

intervals = st.one_of(
    st.just(Interval.daily()),
    st.integers(2, 5).map(Interval.every_n_days),
    st.just(Interval.weekly()),
    st.sets(st.integers(1, 7), min_size=1, max_size=4).map(
        lambda days: Interval.on_weekdays(*sorted(days))
    ),
    st.just(Interval.monthly()),
    st.integers(2, 4).map(Interval.every_n_months),
)
durations = st.one_of(
    st.builds(Duration, st.integers(1, 30), st.just(TimeUnit.DAYS)),
    st.builds(Duration, st.integers(1, 6), st.just(TimeUnit.WEEKS)),
    st.builds(Duration, st.integers(1, 8), st.just(TimeUnit.MONTHS)),
)
starts = st.dates(dt.date(2019, 1, 1), dt.date(2024, 12, 31))


@st.composite
def finite_ends(draw: st.DrawFn, start: dt.date) -> PhaseEnd:
    return draw(
        st.one_of(
            st.builds(AfterDoses, st.integers(1, 12)),
            st.builds(ForDuration, durations, st.sampled_from(MeasuredFrom)),
            st.integers(0, 300).map(lambda days: UntilDate(start + dt.timedelta(days=days))),
        )
    )


@st.composite
def phases(draw: st.DrawFn, end: PhaseEnd, number: int) -> Phase:
    return Phase(
        name=f"phase {number}",
        dose=Decimal("1"),
        unit=DoseUnit.MG,
        route=draw(st.sampled_from([Route.INTRAMUSCULAR, Route.INTRAMUSCULAR, Route.ORAL])),
        interval=draw(intervals),
        end=end,
        given_at_home=draw(st.booleans()),
    )


@st.composite
def regimens(draw: st.DrawFn, start: dt.date, *, finite: bool = False) -> Regimen:
    ends = draw(st.lists(finite_ends(start), min_size=0, max_size=2))
    if not finite:
        open_ended = st.builds(OpenEnded, durations)
        ends.append(draw(st.one_of(finite_ends(start), open_ended, st.just(Lifelong()))))
    elif not ends:
        ends.append(draw(finite_ends(start)))
    return Regimen(
        key="generated",
        name="generated",
        drug="hydroxocobalamin",
        phases=tuple(draw(phases(end, number)) for number, end in enumerate(ends, start=1)),
        closing_day_policy=draw(st.sampled_from(ClosingDayPolicy)),
    )


@st.composite
def closures(draw: st.DrawFn, start: dt.date) -> ClinicClosures:
    offsets = draw(st.sets(st.integers(0, PLANNING_DAYS), max_size=8))
    return ClinicClosures(
        weekdays=frozenset(draw(st.sets(st.integers(1, 7), max_size=3))),
        dates=frozenset(start + dt.timedelta(days=offset) for offset in offsets),
    )


@st.composite
def courses(
    draw: st.DrawFn, *, with_closures: bool = True, finite: bool = False
) -> tuple[Regimen, dt.date, ClinicClosures, dt.date]:
    start = draw(starts)
    return (
        draw(regimens(start, finite=finite)),
        start,
        draw(closures(start)) if with_closures else NO_CLOSURES,
        start + dt.timedelta(days=draw(st.integers(0, PLANNING_DAYS))),
    )


def by_phase(plan: CoursePlan) -> dict[int, list[PlannedDose]]:
    grouped: dict[int, list[PlannedDose]] = {}
    for dose in plan.doses:
        grouped.setdefault(dose.phase_number, []).append(dose)
    return grouped


def cadence_date(interval: Interval, first: dt.date, index: int) -> dt.date:
    """Dose ``index`` of a phase starting on ``first``, as CLINICAL.md section 3 words it."""
    step_days = {
        IntervalKind.DAILY: 1,
        IntervalKind.EVERY_N_DAYS: interval.n,
        IntervalKind.WEEKLY: 7,
    }
    if interval.kind in step_days:
        return first + dt.timedelta(days=index * step_days[interval.kind])
    if interval.kind is IntervalKind.MONTHLY:
        return first + relativedelta(months=index)
    if interval.kind is IntervalKind.EVERY_N_MONTHS:
        return first + relativedelta(months=index * interval.n)
    day = first
    for _ in range(index):
        day += dt.timedelta(days=1)
        while day.isoweekday() not in interval.weekdays:
            day += dt.timedelta(days=1)
    return day


@given(courses())
@PROPERTY
def test_doses_are_in_order_from_the_start_and_never_on_a_closing_day_unless_at_home(
    course: tuple[Regimen, dt.date, ClinicClosures, dt.date],
) -> None:
    regimen, start, closures, horizon = course
    plan = preview_course(regimen, start, closures=closures, horizon=horizon)

    days = [dose.date for dose in plan.doses]
    assert all(earlier < later for earlier, later in itertools.pairwise(days))
    assert all(day >= start for day in days)
    assert [dose.sequence for dose in plan.doses] == list(range(1, len(days) + 1))
    for dose in plan.doses:
        if dose.given_at_home:
            assert dose.route is Route.ORAL or regimen.phases[dose.phase_number - 1].given_at_home
        else:
            assert not closures.is_closed(dose.date)
        if dose.original_date is not None:
            assert dose.original_date < dose.date


@given(courses(with_closures=False))
@PROPERTY
def test_each_phase_keeps_its_cadence_and_ends_where_its_end_says(
    course: tuple[Regimen, dt.date, ClinicClosures, dt.date],
) -> None:
    regimen, start, _, horizon = course
    plan = preview_course(regimen, start, horizon=horizon)
    earlier: list[PlannedDose] = []

    for number, doses in sorted(by_phase(plan).items()):
        phase = regimen.phases[number - 1]
        first = doses[0].date
        if earlier:
            assert first == cadence_date(phase.interval, earlier[-1].date, 1)
        else:
            assert first == start
        assert [d.date for d in doses] == [
            cadence_date(phase.interval, first, i) for i in range(len(doses))
        ]
        following = cadence_date(phase.interval, first, len(doses))
        match phase.end:
            case AfterDoses(count=count):
                assert len(doses) == count
            case ForDuration(length=length, measured_from=measured_from):
                limit = length.after(first if measured_from is MeasuredFrom.PHASE_START else start)
                assert doses[-1].date < limit <= following
            case UntilDate(last_day=last_day):
                assert doses[-1].date <= last_day < following
            case OpenEnded() | Lifelong():
                assert doses[-1].date <= horizon < following
                assert number == max(by_phase(plan))
        earlier = doses


@given(courses(finite=True))
@PROPERTY
def test_closing_days_keep_the_calendar_and_the_count_of_doses(
    course: tuple[Regimen, dt.date, ClinicClosures, dt.date],
) -> None:
    regimen, start, closures, _ = course
    plan = preview_course(regimen, start, closures=closures)
    open_every_day = preview_course(regimen, start)

    if regimen.closing_day_policy is ClosingDayPolicy.KEEP_CALENDAR:
        assert [d.original_date or d.date for d in plan.doses] == [
            d.date for d in open_every_day.doses
        ]
    counted_ends = all(isinstance(p.end, AfterDoses) for p in regimen.phases)
    if counted_ends:
        assert len(plan.doses) == len(open_every_day.doses)


@st.composite
def events(draw: st.DrawFn, plan: CoursePlan, horizon: dt.date) -> CourseEvent:
    on = plan.start + dt.timedelta(days=draw(st.integers(0, (horizon - plan.start).days + 30)))
    planned = [d.date for d in plan.doses if d.status is DoseStatus.PLANNED]
    choices = [
        st.just(StopCourse(on)),
        st.just(AdvanceToNextPhase(on)),
        st.builds(
            ChangeDoseOrRoute,
            st.just(on),
            st.sampled_from([None, Decimal("0.5")]),
            st.just(None),
            st.sampled_from([Route.ORAL, Route.SUBCUTANEOUS]),
        ),
    ]
    if planned:
        choices.append(st.sampled_from(planned).map(MissedDose))
    return draw(st.one_of(choices))


#: Events the planner refuses on purpose: advancing out of the last phase or past the end of the
#: course, anything but a stop after a stop, and rewriting recorded history.
REFUSED_BY_DESIGN = (
    "is the last phase",
    "no dose left to advance",
    "the course was stopped",
    "is already recorded",
)


@given(courses(), st.data())
@PROPERTY
def test_re_planning_never_changes_a_past_dose(
    course: tuple[Regimen, dt.date, ClinicClosures, dt.date], data: st.DataObject
) -> None:
    regimen, start, closures, horizon = course
    plan = preview_course(regimen, start, closures=closures, horizon=horizon)

    for _ in range(data.draw(st.integers(1, 3))):
        event = data.draw(events(plan, horizon))
        try:
            replanned = replan_course(plan, event)
        except PlanningError as error:
            assume(not any(refusal in str(error) for refusal in REFUSED_BY_DESIGN))
            raise
        past = tuple(d for d in plan.doses if d.date < event.on)
        assert replanned.doses[: len(past)] == past
        assert all(d.date >= event.on for d in replanned.doses[len(past) :])
        days = [d.date for d in replanned.doses]
        assert all(earlier < later for earlier, later in itertools.pairwise(days))
        assert not any(closures.is_closed(d.date) for d in replanned.doses if not d.given_at_home)
        if isinstance(event, StopCourse):
            assert all(d.date < event.on for d in replanned.doses)
        plan = replanned
