"""Monitoring plan after the first dose (CLINICAL.md section 4) and its progress on a given day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from patients.clinical.monitoring import (
    ItemKind,
    ItemStatus,
    MonitoringPlan,
    MonitoringRecord,
    PlanSettings,
    RecordedLab,
    add_months,
    evaluate_plan,
    item_kinds,
    plan_monitoring,
)

CLINIC = ZoneInfo("Europe/Istanbul")  # UTC+3 all year
# 31 January in a leap year, so that "1 month" must clamp to 29 February.
FIRST_DOSE = datetime(2024, 1, 31, 9, 0, tzinfo=CLINIC)
BIRTH = date(2023, 5, 15)
FIRST_SCAN = date(2024, 1, 27)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CLINIC)


@pytest.fixture(scope="module")
def plan() -> MonitoringPlan:
    return plan_monitoring(first_dose_at=FIRST_DOSE, birth_date=BIRTH, first_scan_date=FIRST_SCAN)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
        (date(2024, 1, 31), 3, date(2024, 4, 30)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2023, 5, 15), 36, date(2026, 5, 15)),
    ],
)
def test_add_months_counts_calendar_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# Day 1 is the first-dose date (31 Jan), so day 5 is 4 Feb.
@pytest.mark.parametrize(
    ("code", "window_start", "window_end", "source_mentions"),
    [
        ("potassium_48h", date(2024, 1, 31), date(2024, 2, 2), "hydroxocobalamin label"),
        ("movement_watch", date(2024, 2, 2), date(2024, 2, 27), "PMID 37380026"),
        ("retic_hct_day5", date(2024, 2, 4), date(2024, 2, 4), "cyanocobalamin label"),
        ("retic_hct_day6", date(2024, 2, 5), date(2024, 2, 5), "cyanocobalamin label"),
        ("retic_hct_day7", date(2024, 2, 6), date(2024, 2, 6), "cyanocobalamin label"),
        ("retic_hct_until_normal", date(2024, 2, 7), date(2024, 2, 9), "cyanocobalamin label"),
        # 1 month = 29 Feb 2024, +/- 7 days
        ("blood_count_1m", date(2024, 2, 22), date(2024, 3, 7), "seed 000"),
        ("b12_1m", date(2024, 2, 22), date(2024, 3, 7), "seed 000"),
        ("folate_1m", date(2024, 2, 22), date(2024, 3, 7), "seed 000"),
        # 3 months = 30 Apr 2024, +/- 7 days
        ("b12_3m", date(2024, 4, 23), date(2024, 5, 7), "seed 004"),
        ("homocysteine_3m", date(2024, 4, 23), date(2024, 5, 7), "NICE NG239"),
        ("mma_3m", date(2024, 4, 23), date(2024, 5, 7), "NICE NG239"),
        # 8-12 months after the first scan of 27 Jan 2024
        ("mri_repeat", date(2024, 9, 27), date(2025, 1, 27), "seed 000"),
        # Denver II at 12, 18, 24, 36 months of age (born 15 May 2023, term), +/- 14 days
        ("denver_12m", date(2024, 5, 1), date(2024, 5, 29), "seed 000"),
        ("denver_18m", date(2024, 11, 1), date(2024, 11, 29), "seed 000"),
        ("denver_24m", date(2025, 5, 1), date(2025, 5, 29), "seed 000"),
        ("denver_36m", date(2026, 5, 1), date(2026, 5, 29), "seed 000"),
        ("growth_every_visit", date(2024, 1, 31), None, "standard practice"),
    ],
)
def test_plan_dates_from_the_first_dose(
    plan: MonitoringPlan,
    code: str,
    window_start: date,
    window_end: date | None,
    source_mentions: str,
) -> None:
    item = plan.item(code)
    assert (item.window_start, item.window_end) == (window_start, window_end)
    assert source_mentions in item.source


def test_plan_has_exactly_the_items_above_in_date_order(plan: MonitoringPlan) -> None:
    assert len(plan.items) == 18
    starts = [i.window_start for i in plan.items]
    assert starts == sorted(starts)


def test_potassium_deadline_is_48_hours_to_the_minute(plan: MonitoringPlan) -> None:
    assert plan.item("potassium_48h").due_by == datetime(2024, 2, 2, 9, 0, tzinfo=CLINIC)


@pytest.mark.parametrize(
    ("code", "requirements"),
    [
        ("potassium_48h", {"potassium": {"potassium"}}),
        (
            "retic_hct_day5",
            {
                "reticulocytes": {"reticulocytes_pct", "reticulocytes_abs"},
                "haematocrit": {"haematocrit"},
            },
        ),
        (
            "blood_count_1m",
            {
                "haemoglobin": {"haemoglobin"},
                "white cell count": {"wbc"},
                "platelets": {"platelets"},
            },
        ),
        ("folate_1m", {"folate": {"folate"}}),
        ("mma_3m", {"MMA": {"mma_serum", "mma_urine"}}),
    ],
)
def test_what_each_lab_item_needs(
    plan: MonitoringPlan, code: str, requirements: dict[str, set[str]]
) -> None:
    item = plan.item(code)
    assert item.kind is ItemKind.LAB
    assert {r.label: set(r.analytes) for r in item.requires} == requirements


@pytest.mark.parametrize(
    ("correction_days", "code", "target"),
    [
        # corrected age line while chronologically under 24 months
        (56, "denver_12m", date(2024, 7, 10)),
        (56, "denver_18m", date(2025, 1, 10)),
        # at 24 and 36 months the correction has lapsed
        (56, "denver_24m", date(2025, 5, 15)),
        (56, "denver_36m", date(2026, 5, 15)),
        (0, "denver_12m", date(2024, 5, 15)),
    ],
)
def test_denver_age_line_is_corrected_until_24_months(
    correction_days: int, code: str, target: date
) -> None:
    plan = plan_monitoring(
        first_dose_at=FIRST_DOSE, birth_date=BIRTH, correction_days=correction_days
    )
    item = plan.item(code)
    assert item.window_start + timedelta(days=14) == target
    assert ("(corrected age)" in item.what) == (correction_days > 0 and code < "denver_24m")


def test_denver_windows_closed_before_treatment_are_not_planned() -> None:
    # Patient 1 of seed 000 started treatment at about 12 months.
    plan = plan_monitoring(first_dose_at=FIRST_DOSE, birth_date=date(2022, 12, 1))
    codes = {i.code for i in plan.items}
    assert "denver_12m" not in codes
    assert {"denver_18m", "denver_24m", "denver_36m"} <= codes


def test_no_repeat_mri_without_a_first_scan() -> None:
    plan = plan_monitoring(first_dose_at=FIRST_DOSE, birth_date=BIRTH)
    assert "mri_repeat" not in {i.code for i in plan.items}


def test_settings_change_the_windows_a_source_leaves_open() -> None:
    plan = plan_monitoring(
        first_dose_at=FIRST_DOSE,
        birth_date=BIRTH,
        settings=PlanSettings(lab_visit_tolerance_days=3, movement_watch_last_day=42),
    )
    assert plan.item("b12_1m").window_start == date(2024, 2, 26)
    assert plan.item("movement_watch").window_end == date(2024, 3, 12)  # day 42


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first_dose_at": datetime(2024, 1, 31, 9, 0), "birth_date": BIRTH},
        {"first_dose_at": FIRST_DOSE, "birth_date": BIRTH, "correction_days": -1},
    ],
)
def test_plan_refuses_naive_times_and_negative_correction(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        plan_monitoring(**kwargs)


# --------------------------------------------------------------------------------------------
# Done, due, overdue
# --------------------------------------------------------------------------------------------


def status(
    plan: MonitoringPlan,
    code: str,
    record: MonitoringRecord,
    today: date,
    now: datetime | None = None,
) -> ItemStatus:
    states = {s.item.code: s for s in evaluate_plan(plan, record, today=today, now=now)}
    return states[code].status


def labs(*pairs: tuple[str, datetime]) -> MonitoringRecord:
    return MonitoringRecord(labs=tuple(RecordedLab(a, t) for a, t in pairs))


NO_RECORD = MonitoringRecord()
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("record", "today", "now", "expected"),
    [
        (labs(("potassium", FIRST_DOSE + 47 * H)), date(2024, 2, 5), None, ItemStatus.DONE),
        (labs(("potassium", FIRST_DOSE + 48 * H)), date(2024, 2, 5), None, ItemStatus.DONE),
        # too late, or a baseline before the first dose: neither counts
        (labs(("potassium", FIRST_DOSE + 49 * H)), date(2024, 2, 5), None, ItemStatus.OVERDUE),
        (labs(("potassium", FIRST_DOSE - H)), date(2024, 2, 1), None, ItemStatus.DUE),
        (NO_RECORD, date(2024, 1, 30), None, ItemStatus.UPCOMING),
        (NO_RECORD, date(2024, 2, 2), FIRST_DOSE + 47 * H, ItemStatus.DUE),
        (NO_RECORD, date(2024, 2, 2), FIRST_DOSE + 48 * H, ItemStatus.DUE),
        (NO_RECORD, date(2024, 2, 2), FIRST_DOSE + 49 * H, ItemStatus.OVERDUE),
        # without "now" the deadline day itself is still due
        (NO_RECORD, date(2024, 2, 2), None, ItemStatus.DUE),
        (NO_RECORD, date(2024, 2, 3), None, ItemStatus.OVERDUE),
        # another analyte does not count
        (labs(("haemoglobin", FIRST_DOSE + H)), date(2024, 2, 3), None, ItemStatus.OVERDUE),
    ],
)
def test_potassium_item(
    plan: MonitoringPlan,
    record: MonitoringRecord,
    today: date,
    now: datetime | None,
    expected: ItemStatus,
) -> None:
    assert status(plan, "potassium_48h", record, today, now) is expected


DAY5 = date(2024, 2, 4)


@pytest.mark.parametrize(
    ("record", "today", "expected", "missing"),
    [
        (
            labs(("reticulocytes_pct", at(DAY5)), ("haematocrit", at(DAY5))),
            DAY5,
            ItemStatus.DONE,
            (),
        ),
        (
            labs(("reticulocytes_abs", at(DAY5)), ("haematocrit", at(DAY5))),
            DAY5,
            ItemStatus.DONE,
            (),
        ),
        (labs(("reticulocytes_pct", at(DAY5))), DAY5, ItemStatus.DUE, ("haematocrit",)),
        (
            labs(("reticulocytes_pct", at(DAY5))),
            DAY5 + timedelta(days=1),
            ItemStatus.OVERDUE,
            ("haematocrit",),
        ),
        # taken on day 6: not the day-5 count
        (
            labs(
                ("reticulocytes_pct", at(DAY5 + timedelta(days=1))),
                ("haematocrit", at(DAY5 + timedelta(days=1))),
            ),
            DAY5 + timedelta(days=1),
            ItemStatus.OVERDUE,
            ("reticulocytes", "haematocrit"),
        ),
        (
            NO_RECORD,
            DAY5 - timedelta(days=1),
            ItemStatus.UPCOMING,
            ("reticulocytes", "haematocrit"),
        ),
    ],
)
def test_daily_reticulocyte_item(
    plan: MonitoringPlan,
    record: MonitoringRecord,
    today: date,
    expected: ItemStatus,
    missing: tuple[str, ...],
) -> None:
    (state,) = [
        s for s in evaluate_plan(plan, record, today=today) if s.item.code == "retic_hct_day5"
    ]
    assert (state.status, state.missing) == (expected, missing)


ONE_MONTH = date(2024, 2, 29)


@pytest.mark.parametrize(
    ("record", "today", "expected"),
    [
        (labs(("b12", at(ONE_MONTH))), ONE_MONTH, ItemStatus.DONE),
        (labs(("b12", at(date(2024, 3, 7)))), date(2024, 3, 20), ItemStatus.DONE),
        # the day-10 B12 is not the 1-month B12
        (labs(("b12", at(date(2024, 2, 9)))), date(2024, 2, 21), ItemStatus.UPCOMING),
        (labs(("b12", at(date(2024, 2, 9)))), date(2024, 2, 22), ItemStatus.DUE),
        (labs(("b12", at(date(2024, 2, 9)))), date(2024, 3, 7), ItemStatus.DUE),
        (labs(("b12", at(date(2024, 2, 9)))), date(2024, 3, 8), ItemStatus.OVERDUE),
        # collected at 22:30 UTC on 21 Feb = 01:30 on 22 Feb in the clinic: inside the window
        (
            labs(("b12", datetime(2024, 2, 21, 22, 30, tzinfo=UTC))),
            date(2024, 3, 8),
            ItemStatus.DONE,
        ),
        (
            labs(("b12", datetime(2024, 2, 21, 20, 30, tzinfo=UTC))),
            date(2024, 3, 8),
            ItemStatus.OVERDUE,
        ),
    ],
)
def test_one_month_b12(
    plan: MonitoringPlan, record: MonitoringRecord, today: date, expected: ItemStatus
) -> None:
    assert status(plan, "b12_1m", record, today) is expected


def test_blood_count_needs_all_three_lines(plan: MonitoringPlan) -> None:
    hb_and_wbc = (("haemoglobin", at(ONE_MONTH)), ("wbc", at(ONE_MONTH)))
    (state,) = [
        s
        for s in evaluate_plan(plan, labs(*hb_and_wbc), today=ONE_MONTH)
        if s.item.code == "blood_count_1m"
    ]
    assert (state.status, state.missing) == (ItemStatus.DUE, ("platelets",))
    full = labs(*hb_and_wbc, ("platelets", at(ONE_MONTH)))
    assert status(plan, "blood_count_1m", full, ONE_MONTH) is ItemStatus.DONE


@pytest.mark.parametrize(
    ("analyte", "expected"),
    [("mma_serum", ItemStatus.DONE), ("mma_urine", ItemStatus.DONE), ("b12", ItemStatus.OVERDUE)],
)
def test_three_month_mma_accepts_serum_or_urine(
    plan: MonitoringPlan, analyte: str, expected: ItemStatus
) -> None:
    record = labs((analyte, at(date(2024, 4, 30))))
    assert status(plan, "mma_3m", record, date(2024, 6, 1)) is expected


def test_evidence_lists_the_results_that_counted(plan: MonitoringPlan) -> None:
    record = labs(("folate", at(ONE_MONTH, 8)), ("folate", at(ONE_MONTH, 12)))
    (state,) = [
        s for s in evaluate_plan(plan, record, today=ONE_MONTH) if s.item.code == "folate_1m"
    ]
    assert state.evidence == (at(ONE_MONTH, 8),)


@pytest.mark.parametrize(
    ("mri_dates", "today", "expected"),
    [
        ((FIRST_SCAN, date(2024, 10, 1)), date(2024, 10, 2), ItemStatus.DONE),
        ((FIRST_SCAN, date(2024, 4, 1)), date(2024, 10, 2), ItemStatus.DUE),
        ((FIRST_SCAN,), date(2024, 9, 26), ItemStatus.UPCOMING),
        ((FIRST_SCAN,), date(2025, 1, 28), ItemStatus.OVERDUE),
    ],
)
def test_repeat_mri(
    plan: MonitoringPlan, mri_dates: tuple[date, ...], today: date, expected: ItemStatus
) -> None:
    assert status(plan, "mri_repeat", MonitoringRecord(mri_dates=mri_dates), today) is expected


@pytest.mark.parametrize(
    ("denver_dates", "today", "expected"),
    [
        ((date(2024, 5, 20),), date(2024, 6, 1), ItemStatus.DONE),
        ((), date(2024, 5, 29), ItemStatus.DUE),
        ((), date(2024, 5, 30), ItemStatus.OVERDUE),
    ],
)
def test_denver_12_months(
    plan: MonitoringPlan, denver_dates: tuple[date, ...], today: date, expected: ItemStatus
) -> None:
    record = MonitoringRecord(denver_dates=denver_dates)
    assert status(plan, "denver_12m", record, today) is expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 2, 1), ItemStatus.UPCOMING),
        (date(2024, 2, 2), ItemStatus.DUE),
        (date(2024, 2, 27), ItemStatus.DUE),
        (date(2024, 2, 28), ItemStatus.ENDED),
    ],
)
def test_movement_watch_is_watched_not_done(
    plan: MonitoringPlan, today: date, expected: ItemStatus
) -> None:
    assert status(plan, "movement_watch", NO_RECORD, today) is expected


@pytest.mark.parametrize(
    ("growth_dates", "expected"),
    [
        ((date(2024, 3, 1),), ItemStatus.DONE),
        ((date(2024, 2, 1),), ItemStatus.DUE),
        ((), ItemStatus.DUE),
    ],
)
def test_growth_is_due_at_every_visit(
    plan: MonitoringPlan, growth_dates: tuple[date, ...], expected: ItemStatus
) -> None:
    record = MonitoringRecord(growth_dates=growth_dates)
    assert status(plan, "growth_every_visit", record, date(2024, 3, 1)) is expected


def test_evaluation_refuses_naive_datetimes(plan: MonitoringPlan) -> None:
    with pytest.raises(ValueError, match="collected_at"):
        evaluate_plan(plan, labs(("b12", datetime(2024, 2, 29, 9))), today=ONE_MONTH)
    with pytest.raises(ValueError, match="now"):
        evaluate_plan(plan, NO_RECORD, today=ONE_MONTH, now=datetime(2024, 2, 29, 9))


def test_item_kinds_name_every_code_a_plan_can_hold():
    kinds = item_kinds()
    # A booked visit stores codes only; the reminder needs to know which of them are blood tests.
    assert kinds["b12_1m"] is ItemKind.LAB
    assert kinds["potassium_48h"] is ItemKind.LAB
    assert kinds["mri_repeat"] is ItemKind.IMAGING
    assert {kinds[f"denver_{months}m"] for months in (12, 18, 24, 36)} == {ItemKind.DEVELOPMENT}
    plan = plan_monitoring(
        first_dose_at=datetime(2023, 11, 24, 10, tzinfo=UTC),
        birth_date=date(2023, 2, 20),
        first_scan_date=date(2023, 11, 21),
    )
    assert {item.code for item in plan.items} <= set(kinds)
