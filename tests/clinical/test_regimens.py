"""Injection regimens and their dose calendars, as CLINICAL.md section 3 tells them."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from patients.clinical.regimens import (
    AdvanceToNextPhase,
    AfterDoses,
    ChangeDoseOrRoute,
    ClinicClosures,
    ClosingDayPolicy,
    CoursePlan,
    DoseStatus,
    DoseUnit,
    Duration,
    ForDuration,
    Interval,
    Lifelong,
    MeasuredFrom,
    MissedDose,
    OpenEnded,
    Phase,
    PhaseEnd,
    PlanningError,
    Regimen,
    RegimenDataError,
    Route,
    StopCourse,
    TimeUnit,
    UntilDate,
    load_shipped_regimens,
    parse_regimen,
    parse_regimens,
    parse_regimens_json,
    preview_course,
    regimen_to_data,
    replan_course,
)

D = dt.date.fromisoformat
SHIPPED = load_shipped_regimens()
PATIENT_1 = SHIPPED["seed-000-patient-1"]
PATIENT_2 = SHIPPED["seed-000-patient-2"]
WITH_NEURO = SHIPPED["with-neurological-involvement"]
WITHOUT_NEURO = SHIPPED["without-neurological-involvement"]
MOTHER = SHIPPED["mother-oral"]

#: A Monday, as the day the course starts in the seed 000 calendars below.
START = D("2019-03-04")
WEEKENDS = ClinicClosures(weekdays=frozenset({6, 7}))
SUNDAYS = ClinicClosures(weekdays=frozenset({7}))


def phase(
    interval: Interval,
    end: PhaseEnd,
    *,
    route: Route = Route.INTRAMUSCULAR,
    given_at_home: bool = False,
) -> Phase:
    return Phase(
        name="phase",
        dose=Decimal("1"),
        unit=DoseUnit.MG,
        route=route,
        interval=interval,
        end=end,
        given_at_home=given_at_home,
    )


def regimen(*phases: Phase, policy: ClosingDayPolicy = ClosingDayPolicy.KEEP_CALENDAR) -> Regimen:
    numbered = tuple(replace(p, name=f"phase {i}") for i, p in enumerate(phases, start=1))
    return Regimen(
        key="test", name="test", drug="hydroxocobalamin", phases=numbered, closing_day_policy=policy
    )


def with_policy(shipped: Regimen, policy: ClosingDayPolicy) -> Regimen:
    return replace(shipped, closing_day_policy=policy)


def dates(plan: CoursePlan) -> list[str]:
    return [dose.date.isoformat() for dose in plan.doses]


def moves(plan: CoursePlan) -> list[tuple[str, str]]:
    return [
        (dose.original_date.isoformat(), dose.date.isoformat())
        for dose in plan.doses
        if dose.original_date is not None
    ]


def assert_past_unchanged(before: CoursePlan, after: CoursePlan, on: dt.date) -> None:
    past = [dose for dose in before.doses if dose.date < on]
    assert after.doses[: len(past)] == tuple(past)
    assert all(kept is old for kept, old in zip(after.doses, past, strict=False))
    past_reviews = [point for point in before.review_points if point.date < on]
    assert after.review_points[: len(past_reviews)] == tuple(past_reviews)


# Seed 000 -------------------------------------------------------------------------------------

PATIENT_2_CALENDAR = [
    # daily for 1 week: days 1-7
    "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07", "2019-03-08", "2019-03-09",
    "2019-03-10",
    # every 2 days for 2 weeks: days 9-21, seven doses
    "2019-03-12", "2019-03-14", "2019-03-16", "2019-03-18", "2019-03-20", "2019-03-22",
    "2019-03-24",
    # monthly from day 21 plus one calendar month, stopped after 18 months of therapy
    "2019-04-24", "2019-05-24", "2019-06-24", "2019-07-24", "2019-08-24", "2019-09-24",
    "2019-10-24", "2019-11-24", "2019-12-24", "2020-01-24", "2020-02-24", "2020-03-24",
    "2020-04-24", "2020-05-24", "2020-06-24", "2020-07-24", "2020-08-24",
]  # fmt: skip


def test_seed_000_patient_2_full_calendar() -> None:
    plan = preview_course(PATIENT_2, START)

    assert dates(plan) == PATIENT_2_CALENDAR
    assert [dose.phase_name for dose in plan.doses].count("every 2 days") == 7
    assert plan.review_points == ()
    # 18 months of therapy end on 2020-09-04: the last dose is the monthly one before it.
    assert plan.doses[-1].date < D("2020-09-04") <= plan.doses[-1].date + dt.timedelta(days=31)


def test_seed_000_patient_2_in_the_days_of_the_case_report() -> None:
    plan = preview_course(PATIENT_2, START)
    day_of_therapy = [(dose.date - START).days + 1 for dose in plan.doses]

    assert day_of_therapy[:14] == [1, 2, 3, 4, 5, 6, 7, 9, 11, 13, 15, 17, 19, 21]
    assert plan.doses[14].date == D("2019-03-24") + dt.timedelta(days=31)  # day 21 + 1 month


def test_seed_000_patient_2_numbers_every_dose_in_course_and_phase() -> None:
    plan = preview_course(PATIENT_2, START)

    assert [dose.sequence for dose in plan.doses] == list(range(1, 32))
    assert [(d.phase_number, d.sequence_in_phase) for d in plan.doses[6:9]] == [
        (1, 7),
        (2, 1),
        (2, 2),
    ]
    assert plan.doses[-1].phase_number == 3 and plan.doses[-1].sequence_in_phase == 17
    assert {(d.dose, d.unit, d.route) for d in plan.doses} == {
        (Decimal("1"), DoseUnit.MG, Route.INTRAMUSCULAR)
    }
    assert all(dose.original_date is None for dose in plan.doses)


PATIENT_1_CALENDAR = [
    # daily for 2 weeks: days 1-14
    "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07", "2019-03-08", "2019-03-09",
    "2019-03-10", "2019-03-11", "2019-03-12", "2019-03-13", "2019-03-14", "2019-03-15",
    "2019-03-16", "2019-03-17",
    # monthly from day 14 plus one month, open-ended: planned up to the horizon only
    "2019-04-17", "2019-05-17", "2019-06-17", "2019-07-17", "2019-08-17", "2019-09-17",
    "2019-10-17", "2019-11-17", "2019-12-17", "2020-01-17", "2020-02-17",
]  # fmt: skip


def test_seed_000_patient_1_calendar_up_to_the_horizon_with_reviews() -> None:
    plan = preview_course(PATIENT_1, START, horizon=D("2020-03-04"))

    assert dates(plan) == PATIENT_1_CALENDAR
    # No stop in the paper: a clinician decides, prompted every 3 months of the monthly phase.
    assert [(p.date.isoformat(), p.next_phase_name) for p in plan.review_points] == [
        ("2019-07-17", None),
        ("2019-10-17", None),
        ("2020-01-17", None),
    ]
    assert (
        plan.review_points[0].question == "Review the monthly phase: continue or stop the course?"
    )


# Intervals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "start", "expected"),
    [
        pytest.param(Interval.daily(), "2019-03-04",
                     ["2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07", "2019-03-08"],
                     id="daily"),
        pytest.param(Interval.every_n_days(2), "2019-01-29",
                     ["2019-01-29", "2019-01-31", "2019-02-02", "2019-02-04", "2019-02-06"],
                     id="every 2 days keeps its cadence across a month end"),
        pytest.param(Interval.every_n_days(2), "2020-02-27",
                     ["2020-02-27", "2020-02-29", "2020-03-02", "2020-03-04", "2020-03-06"],
                     id="every 2 days across 29 February"),
        pytest.param(Interval.every_n_days(2), "2019-12-30",
                     ["2019-12-30", "2020-01-01", "2020-01-03", "2020-01-05", "2020-01-07"],
                     id="every 2 days across a year end"),
        pytest.param(Interval.every_n_days(3), "2019-02-26",
                     ["2019-02-26", "2019-03-01", "2019-03-04", "2019-03-07", "2019-03-10"],
                     id="every 3 days"),
        pytest.param(Interval.on_weekdays(1, 3, 5), "2019-03-04",
                     ["2019-03-04", "2019-03-06", "2019-03-08", "2019-03-11", "2019-03-13"],
                     id="three times a week from a Monday"),
        pytest.param(Interval.on_weekdays(1, 3, 5), "2019-03-05",
                     ["2019-03-05", "2019-03-06", "2019-03-08", "2019-03-11", "2019-03-13"],
                     id="three times a week from a Tuesday: first dose on the start date"),
        pytest.param(Interval.on_weekdays(2, 4), "2019-03-03",
                     ["2019-03-03", "2019-03-05", "2019-03-07", "2019-03-12", "2019-03-14"],
                     id="twice a week from a Sunday"),
        pytest.param(Interval.weekly(), "2019-03-18",
                     ["2019-03-18", "2019-03-25", "2019-04-01", "2019-04-08", "2019-04-15"],
                     id="weekly"),
        pytest.param(Interval.monthly(), "2019-01-31",
                     ["2019-01-31", "2019-02-28", "2019-03-31", "2019-04-30", "2019-05-31"],
                     id="monthly from 31 January: calendar months, no drift"),
        pytest.param(Interval.monthly(), "2020-01-31",
                     ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30", "2020-05-31"],
                     id="monthly from 31 January in a leap year"),
        pytest.param(Interval.monthly(), "2019-03-30",
                     ["2019-03-30", "2019-04-30", "2019-05-30", "2019-06-30", "2019-07-30"],
                     id="monthly on the 30th"),
        pytest.param(Interval.every_n_months(2), "2019-12-31",
                     ["2019-12-31", "2020-02-29", "2020-04-30", "2020-06-30", "2020-08-31"],
                     id="every 2 months from 31 December"),
        pytest.param(Interval.every_n_months(3), "2019-11-30",
                     ["2019-11-30", "2020-02-29", "2020-05-30", "2020-08-30", "2020-11-30"],
                     id="every 3 months"),
        pytest.param(Interval.every_n_months(12), "2020-02-29",
                     ["2020-02-29", "2021-02-28", "2022-02-28", "2023-02-28", "2024-02-29"],
                     id="yearly from 29 February"),
    ],
)  # fmt: skip
def test_interval_kinds(interval: Interval, start: str, expected: list[str]) -> None:
    plan = preview_course(regimen(phase(interval, AfterDoses(5))), D(start))

    assert dates(plan) == expected


@pytest.mark.parametrize(
    ("interval", "description"),
    [
        (Interval.daily(), "daily"),
        (Interval.every_n_days(2), "every 2 days"),
        (Interval.on_weekdays(1, 3, 5), "3 times a week (Mon, Wed, Fri)"),
        (Interval.weekly(), "weekly"),
        (Interval.monthly(), "monthly"),
        (Interval.every_n_months(3), "every 3 months"),
    ],
)
def test_intervals_describe_themselves_in_the_clinics_words(
    interval: Interval, description: str
) -> None:
    assert interval.describe() == description


@pytest.mark.parametrize(
    ("first", "second", "start", "first_dose_of_second_phase"),
    [
        pytest.param(phase(Interval.daily(), AfterDoses(3)), Interval.monthly(), "2019-01-29",
                     "2019-02-28", id="daily to monthly: last dose 31 January, next 28 February"),
        pytest.param(phase(Interval.daily(), AfterDoses(3)), Interval.monthly(), "2020-01-29",
                     "2020-02-29", id="daily to monthly in a leap year"),
        pytest.param(phase(Interval.daily(), AfterDoses(2)), Interval.on_weekdays(1, 3, 5),
                     "2019-03-01", "2019-03-04", id="daily to Mon/Wed/Fri: next chosen weekday"),
        pytest.param(phase(Interval.every_n_days(2), AfterDoses(3)), Interval.weekly(),
                     "2019-03-01", "2019-03-12", id="every 2 days to weekly"),
        pytest.param(phase(Interval.on_weekdays(1, 3, 5), AfterDoses(6)),
                     Interval.every_n_months(3), "2019-03-04", "2019-06-15",
                     id="three times a week to every 3 months"),
    ],
)  # fmt: skip
def test_a_later_phase_starts_one_of_its_own_intervals_after_the_last_dose(
    first: Phase, second: Interval, start: str, first_dose_of_second_phase: str
) -> None:
    plan = preview_course(regimen(first, phase(second, AfterDoses(2))), D(start))

    second_phase = [dose for dose in plan.doses if dose.phase_number == 2]
    assert second_phase[0].date == D(first_dose_of_second_phase)


# Ends -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "end", "start", "expected"),
    [
        pytest.param(Interval.daily(), AfterDoses(3), "2019-03-04",
                     ["2019-03-04", "2019-03-05", "2019-03-06"], id="after 3 doses"),
        pytest.param(Interval.every_n_days(2), ForDuration(Duration(2, TimeUnit.WEEKS)),
                     "2019-03-12",
                     ["2019-03-12", "2019-03-14", "2019-03-16", "2019-03-18", "2019-03-20",
                      "2019-03-22", "2019-03-24"],
                     id="for 2 weeks: 14 days from the first dose, that day excluded"),
        pytest.param(Interval.daily(), ForDuration(Duration(3, TimeUnit.DAYS)), "2019-02-27",
                     ["2019-02-27", "2019-02-28", "2019-03-01"], id="for 3 days"),
        pytest.param(Interval.monthly(), ForDuration(Duration(3, TimeUnit.MONTHS)), "2019-01-31",
                     ["2019-01-31", "2019-02-28", "2019-03-31"], id="for 3 months"),
        pytest.param(Interval.daily(), UntilDate(D("2019-03-07")), "2019-03-04",
                     ["2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07"],
                     id="until a date, that date included"),
        pytest.param(Interval.every_n_days(2), UntilDate(D("2019-03-09")), "2019-03-04",
                     ["2019-03-04", "2019-03-06", "2019-03-08"], id="until a date between doses"),
        pytest.param(Interval.monthly(), Lifelong(), "2019-03-04",
                     ["2019-03-04", "2019-04-04", "2019-05-04", "2019-06-04"],
                     id="lifelong: up to the horizon"),
        pytest.param(Interval.every_n_months(2),
                     OpenEnded(review_every=Duration(1, TimeUnit.MONTHS)), "2019-03-04",
                     ["2019-03-04", "2019-05-04"], id="open-ended: up to the horizon"),
    ],
)  # fmt: skip
def test_end_kinds(interval: Interval, end: PhaseEnd, start: str, expected: list[str]) -> None:
    plan = preview_course(regimen(phase(interval, end)), D(start), horizon=D("2019-06-30"))

    assert dates(plan) == expected


def test_18_months_of_therapy_count_from_the_course_start_not_the_phase() -> None:
    monthly_to_18_months = ForDuration(Duration(18, TimeUnit.MONTHS), MeasuredFrom.COURSE_START)
    plan = preview_course(
        regimen(
            phase(Interval.daily(), AfterDoses(10)),
            phase(Interval.monthly(), monthly_to_18_months),
        ),
        START,
    )

    assert plan.doses[-1].date == D("2020-08-13")  # 2020-09-04 is 18 months after 2019-03-04


def test_a_phase_without_an_end_needs_a_horizon() -> None:
    with pytest.raises(PlanningError, match="no end: give a horizon"):
        preview_course(PATIENT_1, START)


def test_lifelong_maintenance_has_no_review_points() -> None:
    plan = preview_course(WITHOUT_NEURO, START, horizon=D("2021-03-04"))

    assert dates(plan) == [
        "2019-03-04", "2019-03-06", "2019-03-08", "2019-03-11", "2019-03-13", "2019-03-15",
        "2019-06-15", "2019-09-15", "2019-12-15", "2020-03-15", "2020-06-15", "2020-09-15",
        "2020-12-15",
    ]  # fmt: skip
    assert plan.review_points == ()


# Open-ended phases ----------------------------------------------------------------------------


def test_open_ended_phase_runs_to_the_horizon_with_review_points_and_no_invented_end() -> None:
    plan = preview_course(WITH_NEURO, START, horizon=D("2019-05-31"))

    alternate_days = [START + dt.timedelta(days=2 * i) for i in range(45)]
    assert [dose.date for dose in plan.doses] == alternate_days
    assert alternate_days[-1] == D("2019-05-31")
    assert {dose.phase_name for dose in plan.doses} == {"alternate days"}
    assert [(p.date, p.phase_name, p.next_phase_name) for p in plan.review_points] == [
        (D("2019-04-04"), "alternate days", "every 2 months"),
        (D("2019-05-04"), "alternate days", "every 2 months"),
    ]
    assert plan.review_points[0].question == (
        "Review the alternate days phase: continue, or advance to every 2 months?"
    )


def test_the_first_review_point_is_planned_even_beyond_the_horizon() -> None:
    plan = preview_course(WITH_NEURO, START, horizon=D("2019-03-20"))

    assert [point.date for point in plan.review_points] == [D("2019-04-04")]


def test_a_review_point_on_a_closing_day_moves_to_the_next_open_day() -> None:
    plan = preview_course(
        WITH_NEURO, START, closures=ClinicClosures(dates=frozenset({D("2019-04-04")})),
        horizon=D("2019-04-30"),
    )  # fmt: skip

    assert [point.date for point in plan.review_points] == [D("2019-04-05")]


def test_the_mothers_oral_regimen_is_daily_at_home_with_a_three_month_review() -> None:
    plan = preview_course(MOTHER, START, closures=WEEKENDS, horizon=D("2019-06-30"))

    assert len(plan.doses) == (D("2019-06-30") - START).days + 1
    assert all(dose.original_date is None and dose.given_at_home for dose in plan.doses)
    assert {(dose.dose, dose.unit, dose.route) for dose in plan.doses} == {
        (Decimal("1000"), DoseUnit.MICROGRAM, Route.ORAL)
    }
    assert [point.date for point in plan.review_points] == [D("2019-06-04")]


# Clinic closing days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "expected", "expected_moves"),
    [
        pytest.param(ClosingDayPolicy.KEEP_CALENDAR,
                     ["2019-01-15", "2019-02-16", "2019-03-15", "2019-04-15"],
                     [("2019-02-15", "2019-02-16")], id="keep calendar"),
        pytest.param(ClosingDayPolicy.KEEP_INTERVAL,
                     ["2019-01-15", "2019-02-16", "2019-03-16", "2019-04-16"],
                     [("2019-02-15", "2019-02-16")], id="keep interval"),
    ],
)  # fmt: skip
def test_a_holiday_moves_a_monthly_dose_and_the_policy_decides_the_rest(
    policy: ClosingDayPolicy, expected: list[str], expected_moves: list[tuple[str, str]]
) -> None:
    holiday = ClinicClosures(dates=frozenset({D("2019-02-15")}))
    monthly = regimen(phase(Interval.monthly(), AfterDoses(4)), policy=policy)

    plan = preview_course(monthly, D("2019-01-15"), closures=holiday)

    assert dates(plan) == expected
    assert moves(plan) == expected_moves


@pytest.mark.parametrize(
    ("policy", "expected", "expected_moves"),
    [
        pytest.param(ClosingDayPolicy.KEEP_CALENDAR,
                     ["2019-03-01", "2019-03-04", "2019-03-05", "2019-03-07", "2019-03-09",
                      "2019-03-11"],
                     [("2019-03-03", "2019-03-04")],
                     id="keep calendar"),
        pytest.param(ClosingDayPolicy.KEEP_INTERVAL,
                     ["2019-03-01", "2019-03-04", "2019-03-06", "2019-03-08", "2019-03-11",
                      "2019-03-13"],
                     [("2019-03-03", "2019-03-04"), ("2019-03-10", "2019-03-11")],
                     id="keep interval"),
    ],
)  # fmt: skip
def test_a_clinic_closed_on_sundays_moves_alternate_day_doses(
    policy: ClosingDayPolicy, expected: list[str], expected_moves: list[tuple[str, str]]
) -> None:
    every_2_days = regimen(phase(Interval.every_n_days(2), AfterDoses(6)), policy=policy)

    plan = preview_course(every_2_days, D("2019-03-01"), closures=SUNDAYS)

    assert dates(plan) == expected
    assert moves(plan) == expected_moves


def test_keep_calendar_queues_daily_doses_behind_a_weekend_and_never_drops_one() -> None:
    daily = regimen(phase(Interval.daily(), AfterDoses(5)))

    plan = preview_course(daily, D("2019-03-01"), closures=WEEKENDS)

    # Two doses never share a day, so the weekend's two doses push the week along.
    assert dates(plan) == ["2019-03-01", "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07"]
    assert moves(plan) == [
        ("2019-03-02", "2019-03-04"),
        ("2019-03-03", "2019-03-05"),
        ("2019-03-04", "2019-03-06"),
        ("2019-03-05", "2019-03-07"),
    ]


def test_a_weekday_phase_keeps_its_weekdays_even_when_keeping_the_interval() -> None:
    mon_wed_fri = regimen(
        phase(Interval.on_weekdays(1, 3, 5), AfterDoses(4)),
        policy=ClosingDayPolicy.KEEP_INTERVAL,
    )

    plan = preview_course(
        mon_wed_fri, START, closures=ClinicClosures(dates=frozenset({D("2019-03-06")}))
    )

    assert dates(plan) == ["2019-03-04", "2019-03-07", "2019-03-08", "2019-03-11"]


@pytest.mark.parametrize(
    ("policy", "first_monthly_dose"),
    [
        pytest.param(ClosingDayPolicy.KEEP_CALENDAR, "2019-04-01", id="keep calendar"),
        pytest.param(ClosingDayPolicy.KEEP_INTERVAL, "2019-04-02", id="keep interval"),
    ],
)
def test_the_policy_decides_where_the_next_phase_counts_from(
    policy: ClosingDayPolicy, first_monthly_dose: str
) -> None:
    daily_then_monthly = regimen(
        phase(Interval.daily(), AfterDoses(2)),
        phase(Interval.monthly(), AfterDoses(1)),
        policy=policy,
    )

    plan = preview_course(
        daily_then_monthly,
        D("2019-02-28"),
        closures=ClinicClosures(dates=frozenset({D("2019-03-01")})),
    )

    assert dates(plan) == ["2019-02-28", "2019-03-02", first_monthly_dose]


@pytest.mark.parametrize(
    "home_phase",
    [
        pytest.param(phase(Interval.daily(), AfterDoses(5), route=Route.ORAL), id="oral"),
        pytest.param(phase(Interval.daily(), AfterDoses(5), given_at_home=True),
                     id="injection given at home"),
    ],
)  # fmt: skip
def test_a_dose_given_at_home_is_not_moved(home_phase: Phase) -> None:
    plan = preview_course(regimen(home_phase), D("2019-03-01"), closures=WEEKENDS)

    assert dates(plan) == ["2019-03-01", "2019-03-02", "2019-03-03", "2019-03-04", "2019-03-05"]
    assert all(dose.given_at_home for dose in plan.doses)


@pytest.mark.parametrize("policy", list(ClosingDayPolicy))
def test_closing_days_never_receive_a_dose_nor_change_how_many(policy: ClosingDayPolicy) -> None:
    closures = ClinicClosures(weekdays=frozenset({7}), dates=frozenset({D("2019-12-24")}))

    plan = preview_course(with_policy(PATIENT_2, policy), START, closures=closures)

    assert len(plan.doses) == len(PATIENT_2_CALENDAR)
    assert not any(closures.is_closed(dose.date) for dose in plan.doses)
    assert ("2019-03-10", "2019-03-11") in moves(plan)  # day 7 was a Sunday


# Re-planning ----------------------------------------------------------------------------------


def test_a_missed_dose_is_kept_and_made_up_the_next_day_keeping_the_calendar() -> None:
    before = preview_course(PATIENT_2, START)
    missed = MissedDose(on=D("2019-03-14"))

    after = replan_course(before, missed)

    assert_past_unchanged(before, after, missed.on)
    assert [(d.date.isoformat(), d.status, d.sequence) for d in after.doses[8:11]] == [
        ("2019-03-14", DoseStatus.MISSED, 9),
        ("2019-03-15", DoseStatus.PLANNED, 9),
        ("2019-03-16", DoseStatus.PLANNED, 10),
    ]
    assert after.doses[9].original_date == D("2019-03-14")
    assert [d for d in after.doses if d.date > D("2019-03-15")] == list(before.doses[9:])


def test_a_missed_dose_shifts_the_rest_when_keeping_the_interval() -> None:
    before = preview_course(with_policy(PATIENT_2, ClosingDayPolicy.KEEP_INTERVAL), START)
    missed = MissedDose(on=D("2019-03-14"))

    after = replan_course(before, missed)

    assert_past_unchanged(before, after, missed.on)
    given = [d for d in after.doses if d.status is DoseStatus.PLANNED]
    assert [d.date.isoformat() for d in given if d.phase_number == 2] == [
        "2019-03-12", "2019-03-15", "2019-03-17", "2019-03-19", "2019-03-21", "2019-03-23",
        "2019-03-25",
    ]  # fmt: skip
    monthly = [d.date.isoformat() for d in given if d.phase_number == 3]
    assert (monthly[0], monthly[-1], len(monthly)) == ("2019-04-25", "2020-08-25", 17)


def test_a_missed_daily_dose_pushes_the_daily_doses_but_not_the_monthly_calendar() -> None:
    before = preview_course(PATIENT_1, START, horizon=D("2019-06-30"))
    missed = MissedDose(on=D("2019-03-05"))

    after = replan_course(before, missed)

    assert_past_unchanged(before, after, missed.on)
    given = [d.date.isoformat() for d in after.doses if d.status is DoseStatus.PLANNED]
    assert given == [
        "2019-03-04", "2019-03-06", "2019-03-07", "2019-03-08", "2019-03-09", "2019-03-10",
        "2019-03-11", "2019-03-12", "2019-03-13", "2019-03-14", "2019-03-15", "2019-03-16",
        "2019-03-17", "2019-03-18", "2019-04-17", "2019-05-17", "2019-06-17",
    ]  # fmt: skip


def test_a_missed_dose_can_be_made_up_on_a_chosen_day_and_skips_closing_days() -> None:
    closures = ClinicClosures(dates=frozenset({D("2019-07-20")}))
    before = preview_course(PATIENT_2, START, closures=closures)
    missed = MissedDose(on=D("2019-06-24"), make_up_on=D("2019-07-20"))

    after = replan_course(before, missed)

    assert_past_unchanged(before, after, missed.on)
    make_up = next(d for d in after.doses if d.original_date == D("2019-06-24"))
    assert make_up.date == D("2019-07-21")  # the chosen 20th is a closing day
    assert [d.date for d in after.doses if d.date > make_up.date][:2] == [
        D("2019-07-24"),
        D("2019-08-24"),
    ]


def test_only_a_planned_dose_can_be_missed() -> None:
    plan = preview_course(PATIENT_2, START)

    with pytest.raises(PlanningError, match="no dose is planned on 2019-03-13"):
        replan_course(plan, MissedDose(on=D("2019-03-13")))
    twice = replan_course(plan, MissedDose(on=D("2019-03-14")))
    with pytest.raises(PlanningError, match="no dose is planned on 2019-03-14"):
        replan_course(twice, MissedDose(on=D("2019-03-14")))


def test_an_advance_ends_the_open_ended_phase_and_starts_the_next_one_interval_later() -> None:
    before = preview_course(WITH_NEURO, START, horizon=D("2020-03-31"))
    advance = AdvanceToNextPhase(on=D("2019-04-10"))

    after = replan_course(before, advance)

    assert_past_unchanged(before, after, advance.on)
    maintenance = [d.date.isoformat() for d in after.doses if d.phase_number == 2]
    # The last alternate-day dose was 2019-04-09; maintenance is every 2 months from there.
    assert maintenance == ["2019-06-09", "2019-08-09", "2019-10-09", "2019-12-09", "2020-02-09"]
    assert [d for d in after.doses if d.phase_number == 1][-1].date == D("2019-04-09")
    assert [point.date for point in after.review_points] == [D("2019-04-04")]


def test_an_advance_on_a_dose_day_cancels_that_dose() -> None:
    before = preview_course(WITH_NEURO, START, horizon=D("2019-12-31"))

    after = replan_course(before, AdvanceToNextPhase(on=D("2019-04-09")))

    assert [d.date.isoformat() for d in after.doses if d.date >= D("2019-04-07")] == [
        "2019-04-07", "2019-06-07", "2019-08-07", "2019-10-07", "2019-12-07",
    ]  # fmt: skip


def test_an_early_advance_of_a_fixed_phase_starts_the_next_phase_on_the_advance_day() -> None:
    before = preview_course(PATIENT_2, START)

    after = replan_course(before, AdvanceToNextPhase(on=D("2019-03-08")))

    # The daily dose of the 8th is cancelled; every 2 days starts one interval after the last
    # daily dose (the 7th) and still runs its full 2 weeks from its own first dose.
    assert dates(after)[:12] == [
        "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07", "2019-03-09", "2019-03-11",
        "2019-03-13", "2019-03-15", "2019-03-17", "2019-03-19", "2019-03-21", "2019-04-21",
    ]  # fmt: skip


def test_the_last_phase_cannot_be_advanced() -> None:
    plan = preview_course(PATIENT_1, START, horizon=D("2019-12-31"))

    with pytest.raises(PlanningError, match="'monthly' is the last phase"):
        replan_course(plan, AdvanceToNextPhase(on=D("2019-06-01")))


def test_a_change_to_oral_applies_from_its_date_and_frees_doses_from_closing_days() -> None:
    closures = ClinicClosures(dates=frozenset({D("2019-06-17"), D("2019-04-17")}))
    before = preview_course(PATIENT_1, START, closures=closures, horizon=D("2019-08-31"))
    change = ChangeDoseOrRoute(
        on=D("2019-06-01"), dose=Decimal("1000"), unit=DoseUnit.MICROGRAM, route=Route.ORAL
    )

    after = replan_course(before, change)

    assert_past_unchanged(before, after, change.on)
    assert ("2019-04-17", "2019-04-18") in moves(after)
    assert [
        (d.date.isoformat(), d.dose, d.unit, d.route, d.given_at_home) for d in after.doses[-3:]
    ] == [
        ("2019-06-17", Decimal("1000"), DoseUnit.MICROGRAM, Route.ORAL, True),
        ("2019-07-17", Decimal("1000"), DoseUnit.MICROGRAM, Route.ORAL, True),
        ("2019-08-17", Decimal("1000"), DoseUnit.MICROGRAM, Route.ORAL, True),
    ]
    assert before.doses[-3].date == D("2019-06-18")  # the holiday had moved it while IM


def test_a_change_of_dose_alone_keeps_route_and_unit_and_carries_into_later_phases() -> None:
    before = preview_course(PATIENT_2, START)

    after = replan_course(before, ChangeDoseOrRoute(on=D("2019-03-20"), dose=Decimal("0.5")))

    assert dates(after) == PATIENT_2_CALENDAR
    assert {d.dose for d in after.doses if d.date < D("2019-03-20")} == {Decimal("1")}
    assert {(d.dose, d.unit, d.route) for d in after.doses if d.date >= D("2019-03-20")} == {
        (Decimal("0.5"), DoseUnit.MG, Route.INTRAMUSCULAR)
    }


def test_a_stop_cancels_every_dose_and_review_from_its_date() -> None:
    before = preview_course(PATIENT_1, START, horizon=D("2020-12-31"))
    stop = StopCourse(on=D("2019-11-01"))

    after = replan_course(before, stop)

    assert_past_unchanged(before, after, stop.on)
    assert after.doses[-1].date == D("2019-10-17")
    assert [point.date for point in after.review_points] == [D("2019-07-17"), D("2019-10-17")]


def test_a_stop_on_the_start_date_leaves_no_dose() -> None:
    plan = replan_course(preview_course(PATIENT_2, START), StopCourse(on=START))

    assert plan.doses == ()


def test_re_planning_event_after_event_never_rewrites_the_past() -> None:
    plan = preview_course(WITH_NEURO, START, horizon=D("2020-06-30"))
    events = [
        MissedDose(on=D("2019-03-10")),
        ChangeDoseOrRoute(on=D("2019-03-20"), dose=Decimal("0.5")),
        AdvanceToNextPhase(on=D("2019-04-15")),
        StopCourse(on=D("2020-01-01")),
    ]

    for event in events:
        replanned = replan_course(plan, event)
        assert_past_unchanged(plan, replanned, event.on)
        plan = replanned

    assert plan.events == tuple(events)
    assert plan.doses[-1].date < D("2020-01-01")
    assert plan.doses[-1].phase_name == "every 2 months"


def test_re_planning_extends_the_horizon_and_keeps_the_events() -> None:
    plan = replan_course(
        preview_course(PATIENT_1, START, horizon=D("2019-06-30")),
        StopCourse(on=D("2020-03-01")),
        horizon=D("2021-01-01"),
    )

    assert plan.doses[-1].date == D("2020-02-17")


@pytest.mark.parametrize(
    "event",
    [MissedDose(on=D("2019-03-01")), StopCourse(on=D("2019-03-03"))],
    ids=["missed", "stop"],
)
def test_nothing_is_re_planned_before_the_course_starts(event: MissedDose | StopCourse) -> None:
    with pytest.raises(PlanningError, match="starts on 2019-03-04"):
        replan_course(preview_course(PATIENT_2, START), event)


def test_a_plan_that_does_not_follow_from_its_events_is_refused() -> None:
    plan = preview_course(PATIENT_2, START)
    tampered = replace(plan, doses=(replace(plan.doses[0], date=D("2019-03-05")), *plan.doses[1:]))

    with pytest.raises(PlanningError, match="does not follow"):
        replan_course(tampered, StopCourse(on=D("2019-06-01")))


# Regimens as data -----------------------------------------------------------------------------


def test_the_shipped_regimens_are_those_of_clinical_md_section_3() -> None:
    assert list(SHIPPED) == [
        "seed-000-patient-1",
        "seed-000-patient-2",
        "with-neurological-involvement",
        "without-neurological-involvement",
        "mother-oral",
    ]
    assert all(r.phases[0].source and r.source for r in SHIPPED.values())
    assert [(p.interval, p.end) for p in WITH_NEURO.phases] == [
        (Interval.every_n_days(2), OpenEnded(Duration(1, TimeUnit.MONTHS))),
        (Interval.every_n_months(2), Lifelong()),
    ]
    assert [(p.interval, p.end) for p in WITHOUT_NEURO.phases] == [
        (Interval.on_weekdays(1, 3, 5), AfterDoses(6)),
        (Interval.every_n_months(3), Lifelong()),
    ]
    injected = [r for r in SHIPPED.values() if r.key != "mother-oral"]
    assert {(r.drug, p.dose, p.unit, p.route) for r in injected for p in r.phases} == {
        ("hydroxocobalamin", Decimal("1"), DoseUnit.MG, Route.INTRAMUSCULAR)
    }


@pytest.mark.parametrize("key", list(SHIPPED))
def test_a_regimen_survives_a_round_trip_through_its_data(key: str) -> None:
    data = json.loads(json.dumps(regimen_to_data(SHIPPED[key])))

    assert parse_regimen(data) == SHIPPED[key]


def _shipped_document() -> dict[str, Any]:
    text = resources.files("patients.clinical.data").joinpath("regimens.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _set(path: str, value: Any) -> Any:
    def edit(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return edit


_DELETE = object()
_FIRST_PHASE = "regimens.1.phases.0"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set("format_version", 2), r"document\.format_version: this tracker reads format 1"),
        (_set("regimens.0.phases", _DELETE), r"regimens\[0\]: missing phases"),
        (_set("regimens.0.dosage", "1 mg"), r"regimens\[0\]: unknown field dosage"),
        (_set("regimens.0.key", "Seed 000"), r"regimens\[0\]: key must be lower-case words"),
        (_set("regimens.1.key", "seed-000-patient-1"), r"regimens\[1\]\.key: .* another regimen"),
        (_set("regimens.0.closing_day_policy", "skip"),
         r"closing_day_policy: expected one of keep_calendar, keep_interval, got 'skip'"),
        (_set("regimens.0.phases", []), r"regimens\[0\]: a regimen needs at least one phase"),
        (_set("regimens.0.version", 0), r"regimens\[0\]: version must be a whole number"),
        (_set("regimens.1.phases.1.name", "daily"), r"regimens\[1\]: phase names must differ"),
        (_set(f"{_FIRST_PHASE}.interval", {"kind": "fortnightly"}),
         r"regimens\[1\]\.phases\[0\]\.interval\.kind: expected one of daily, "),
        (_set(f"{_FIRST_PHASE}.interval", {"kind": "every_n_days", "n": 0}),
         r"phases\[0\]\.interval: n must be a whole number of at least 1, got 0"),
        (_set(f"{_FIRST_PHASE}.interval", {"kind": "daily", "n": 2}),
         r"interval: a daily interval takes no n"),
        (_set(f"{_FIRST_PHASE}.interval", {"kind": "weekdays", "weekdays": [1, 8]}),
         r"interval: weekdays must be ISO weekdays 1-7, got \[1, 8\]"),
        (_set(f"{_FIRST_PHASE}.interval", {"kind": "weekdays", "weekdays": ["Mon"]}),
         r"interval\.weekdays\[0\]: expected a whole number, got text 'Mon'"),
        (_set(f"{_FIRST_PHASE}.dose", "-1"), r"phases\[0\]: a dose must be a positive Decimal"),
        (_set(f"{_FIRST_PHASE}.dose", "one"), r"phases\[0\]\.dose: 'one' is not a number"),
        (_set(f"{_FIRST_PHASE}.dose", True), r"phases\[0\]\.dose: expected a number"),
        (_set(f"{_FIRST_PHASE}.unit", "mcg"), r"phases\[0\]\.unit: expected one of mg, microgram"),
        (_set(f"{_FIRST_PHASE}.route", "IM"), r"phases\[0\]\.route: expected one of intramuscular"),
        (_set(f"{_FIRST_PHASE}.given_at_home", "yes"), r"given_at_home: expected true or false"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "forever"}),
         r"phases\[0\]\.end\.kind: expected one of \['dose_count', 'duration'"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "open_ended"}), r"phases\[0\]\.end: missing review_every"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "dose_count", "count": 0}),
         r"end: a dose count must be a whole number of at least 1, got 0"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "lifelong", "count": 3}), r"end: unknown field count"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "until_date", "last_day": "01/06/2020"}),
         r"end\.last_day: expected a date as YYYY-MM-DD, got '01/06/2020'"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "duration", "length": {"amount": 2, "unit": "fortnights"}}),
         r"end\.length\.unit: expected one of days, weeks, months"),
        (_set(f"{_FIRST_PHASE}.end", {"kind": "lifelong"}), r"regimens\[1\]: phase 'daily' is lifelong"),
    ],
)  # fmt: skip
def test_bad_regimen_data_is_refused_with_where_and_why(edit: Any, message: str) -> None:
    document = copy.deepcopy(_shipped_document())
    edit(document)

    with pytest.raises(RegimenDataError, match=message):
        parse_regimens(document)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Interval.every_n_months(0), "n must be a whole number of at least 1"),
        (lambda: Interval.on_weekdays(), "needs at least one ISO weekday"),
        (lambda: Interval.on_weekdays(5, 1), "in order without repeats"),
        (lambda: Duration(0, TimeUnit.DAYS), "whole amount of at least 1"),
        (lambda: ClinicClosures(weekdays=frozenset(range(1, 8))), "closed every weekday"),
        (lambda: ClinicClosures(weekdays=frozenset({0})), "ISO weekdays 1-7"),
        (lambda: MissedDose(on=START, make_up_on=START), "made up after the day it was missed"),
        (lambda: ChangeDoseOrRoute(on=START), "needs a new dose, unit or route"),
        (lambda: ChangeDoseOrRoute(on=START, dose=Decimal("0")), "positive Decimal"),
    ],
)
def test_value_objects_refuse_what_cannot_be_planned(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_the_horizon_of_a_plan_only_moves_later() -> None:
    plan = preview_course(PATIENT_1, START, horizon=D("2019-12-31"))

    with pytest.raises(PlanningError, match="not earlier"):
        replan_course(plan, StopCourse(on=D("2019-06-01")), horizon=D("2019-09-30"))


def test_no_event_is_dated_before_a_recorded_missed_dose_or_after_a_stop() -> None:
    plan = replan_course(preview_course(PATIENT_2, START), MissedDose(on=D("2019-03-14")))

    with pytest.raises(PlanningError, match="a missed dose on 2019-03-14 is already recorded"):
        replan_course(plan, ChangeDoseOrRoute(on=D("2019-03-10"), route=Route.ORAL))
    stopped = replan_course(plan, StopCourse(on=D("2019-06-01")))
    with pytest.raises(PlanningError, match="the course was stopped on 2019-06-01"):
        replan_course(stopped, MissedDose(on=D("2019-06-24")))
    assert replan_course(stopped, StopCourse(on=D("2019-05-01"))).doses[-1].date == D("2019-04-24")


def test_regimen_data_must_be_json() -> None:
    with pytest.raises(RegimenDataError, match="not valid JSON"):
        parse_regimens_json("{'regimens': []}")


def test_regimen_data_keeps_decimal_doses_exact() -> None:
    document = _shipped_document()
    document["regimens"][0]["phases"][0]["dose"] = 0.25
    text = json.dumps(document)

    assert parse_regimens_json(text)["seed-000-patient-1"].phases[0].dose == Decimal("0.25")
    with pytest.raises(RegimenDataError, match="expected a number or a number as text"):
        parse_regimens(document)  # a binary float is refused: it is not the entered value


def test_an_advance_cannot_erase_a_dose_recorded_as_missed_that_day():
    regimen = load_shipped_regimens()["seed-000-patient-2"]
    start = dt.date(2019, 1, 1)
    plan = replan_course(preview_course(regimen, start), MissedDose(dt.date(2019, 1, 4)))
    with pytest.raises(PlanningError, match="already recorded: advance from the next day"):
        replan_course(plan, AdvanceToNextPhase(dt.date(2019, 1, 4)))
    advanced = replan_course(plan, AdvanceToNextPhase(dt.date(2019, 1, 5)))
    assert any(
        d.date == dt.date(2019, 1, 4) and d.status is DoseStatus.MISSED for d in advanced.doses
    )
