"""Milestone windows and timing (CLINICAL.md section 7, data README, seed 000)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from patients.clinical.ages import DENVER_II_CORRECTION, WHO_GROWTH_CORRECTION, gestation_days
from patients.clinical.denver import (
    BUNDLED_NORM_TABLE_VERSION,
    ReferenceTableError,
    norm_table_from_rows,
)
from patients.clinical.milestones import (
    WHO_MOTOR_WINDOWS_VERSION,
    MilestoneCode,
    MilestoneTiming,
    assess_milestone,
    assess_milestone_on_dates,
    bundled_milestone_windows,
    denver_milestone_windows,
    load_who_motor_windows,
    milestone_timing,
)

M = MilestoneCode
EARLY, ON_TIME, LATE = MilestoneTiming.EARLY, MilestoneTiming.ON_TIME, MilestoneTiming.LATE
NOT_YET, ABSENT_OK = MilestoneTiming.NOT_YET_ATTAINED, MilestoneTiming.ABSENT_NOT_ABNORMAL_ALONE

WINDOWS = bundled_milestone_windows()
WHO_HEADER = "# version: who-test\nmilestone,label,p01_months,p99_months,never_attained_percent\n"
WHO_ROWS = {
    "sitting_without_support": "sitting_without_support,Sitting,3.8,9.2,\n",
    "standing_with_assistance": "standing_with_assistance,Standing,4.8,11.4,\n",
    "hands_and_knees_crawling": "hands_and_knees_crawling,Crawling,5.2,13.5,4.3\n",
    "walking_with_assistance": "walking_with_assistance,Walking,5.9,13.7,\n",
    "standing_alone": "standing_alone,Standing alone,6.9,16.9,\n",
    "walking_alone": "walking_alone,Walking alone,8.2,17.6,\n",
}


def who_file(**replacements: str) -> io.StringIO:
    rows = {**WHO_ROWS, **replacements}
    return io.StringIO(WHO_HEADER + "".join(rows.values()))


# --- The windows ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("milestone", "p01", "p99"),
    [
        # WHO Multicentre Growth Reference Study Group, Acta Paediatr Suppl 2006;450:86-95.
        (M.SITTING_WITHOUT_SUPPORT, 3.8, 9.2),
        (M.STANDING_WITH_ASSISTANCE, 4.8, 11.4),
        (M.HANDS_AND_KNEES_CRAWLING, 5.2, 13.5),
        (M.WALKING_WITH_ASSISTANCE, 5.9, 13.7),
        (M.STANDING_ALONE, 6.9, 16.9),
        (M.WALKING_ALONE, 8.2, 17.6),
    ],
)
def test_who_windows(milestone: MilestoneCode, p01: float, p99: float):
    window = WINDOWS[milestone]

    assert (window.earliest_months, window.latest_months) == (p01, p99)
    assert (window.lower_percentile, window.upper_percentile) == (1, 99)
    assert window.correction is WHO_GROWTH_CORRECTION
    assert window.reference_version == WHO_MOTOR_WINDOWS_VERSION
    assert "PMID 16817682" in window.source


@pytest.mark.parametrize(
    ("milestone", "item", "p90"),
    [
        (M.HEAD_CONTROL, "gross_motor:9 (Pull to Sit-No Head Lag)", 6.2),
        (M.FIRST_WORDS, "language:14 (One Word)", 15.0),
    ],
)
def test_denver_sourced_windows_name_their_item(milestone: MilestoneCode, item: str, p90: float):
    window = WINDOWS[milestone]

    assert window.earliest_months is None
    assert window.latest_months == p90
    assert window.upper_percentile == 90
    assert window.correction is DENVER_II_CORRECTION
    assert window.reference_version == BUNDLED_NORM_TABLE_VERSION
    assert item in window.source


def test_all_eight_milestones_in_code_order():
    assert list(WINDOWS) == list(MilestoneCode)


def test_only_crawling_may_be_skipped():
    skippable = {code for code, window in WINDOWS.items() if window.never_attained_percent}

    assert skippable == {M.HANDS_AND_KNEES_CRAWLING}
    assert WINDOWS[M.HANDS_AND_KNEES_CRAWLING].never_attained_percent == 4.3


def test_denver_windows_follow_the_norm_table_in_use():
    def row(sector: str, number: int, label: str, p90: str) -> dict[str, str]:
        return {
            "sector": sector,
            "item_no": str(number),
            "label": label,
            "p25_months": "1",
            "p50_months": "2",
            "p75_months": "3",
            "p90_months": p90,
        }

    clinic_table = norm_table_from_rows(
        [
            row("gross_motor", 9, "Pull to Sit - No Head Lag", "6.0"),
            row("language", 14, "One Word", "14.5"),
        ],
        version="clinic-licensed-2025",
    )

    head_control, first_words = denver_milestone_windows(clinic_table)

    assert (head_control.latest_months, first_words.latest_months) == (6.0, 14.5)
    assert head_control.reference_version == "clinic-licensed-2025"


def test_a_renumbered_norm_table_is_refused_for_milestones():
    renumbered = norm_table_from_rows(
        [
            {
                "sector": "gross_motor",
                "item_no": "9",
                "label": "Sit-No Support",
                "p25_months": "5.4",
                "p50_months": "5.9",
                "p75_months": "6.3",
                "p90_months": "6.8",
            },
        ],
        version="renumbered",
    )

    with pytest.raises(ReferenceTableError, match="expects 'Pull to Sit-No Head Lag'"):
        denver_milestone_windows(renumbered)


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        pytest.param(
            who_file(standing_alone="standing_alone,Standing alone,16.9,6.9,\n"),
            "does not open before it closes",
            id="window reversed",
        ),
        pytest.param(
            who_file(walking_alone="walking_alone,Walking alone,8.2,x,\n"),
            "p99_months 'x' is not an age in months",
            id="not a number",
        ),
        pytest.param(
            who_file(walking_alone="head_control,Head control,1,4,\n"),
            "head_control is not one of the WHO motor milestones",
            id="not a WHO milestone",
        ),
        pytest.param(
            who_file(walking_alone="running,Running,10,20,\n"),
            "unknown milestone 'running'",
            id="unknown milestone",
        ),
        pytest.param(
            who_file(walking_alone="sitting_without_support,Sitting,3.8,9.2,\n"),
            "duplicate milestone sitting_without_support",
            id="duplicate",
        ),
        pytest.param(
            who_file(walking_alone=""),
            "missing milestone(s): walking_alone",
            id="missing",
        ),
        pytest.param(
            who_file(walking_alone="walking_alone,Walking alone,8.2,17.6,104\n"),
            "'104' is not a percentage",
            id="bad percentage",
        ),
        pytest.param(
            io.StringIO("# version: v\nmilestone,p01_months,p99_months\n"),
            "columns must be",
            id="wrong columns",
        ),
        pytest.param(
            io.StringIO(
                WHO_HEADER.replace("# version: who-test\n", "") + "".join(WHO_ROWS.values())
            ),
            "no '# version:' line",
            id="no version",
        ),
    ],
)
def test_who_windows_file_is_validated(source: io.StringIO, problem: str):
    with pytest.raises(ReferenceTableError) as error:
        load_who_motor_windows(source)

    assert any(problem in found for found in error.value.problems)


def test_a_valid_who_file_loads():
    windows = load_who_motor_windows(who_file())

    assert [window.code for window in windows] == [
        M.SITTING_WITHOUT_SUPPORT,
        M.STANDING_WITH_ASSISTANCE,
        M.HANDS_AND_KNEES_CRAWLING,
        M.WALKING_WITH_ASSISTANCE,
        M.STANDING_ALONE,
        M.WALKING_ALONE,
    ]
    assert windows[0].reference_version == "who-test"


# --- Timing rules (CLINICAL.md section 7, data README) -------------------------------------------

TIMING_RULES = [
    # sitting without support, WHO window 3.8-9.2 months
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 3.7, None, EARLY, id="sitting before p01: early"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 3.8, None, ON_TIME, id="sitting at p01: on time"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 6.0, None, ON_TIME, id="sitting in window: on time"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 9.2, None, ON_TIME, id="sitting at p99: on time"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 9.21, None, LATE, id="sitting after p99: late"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, None, 9.2, NOT_YET, id="not sitting at p99: not yet"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, None, 9.21, LATE, id="not sitting after p99: late"),
    pytest.param(
        M.SITTING_WITHOUT_SUPPORT, 9.0, 12.0, ON_TIME, id="observed later: attainment counts"
    ),
    # hands-and-knees crawling, 5.2-13.5; 4.3 % never crawl
    pytest.param(
        M.HANDS_AND_KNEES_CRAWLING, None, 13.5, NOT_YET, id="not crawling at p99: not yet"
    ),
    pytest.param(
        M.HANDS_AND_KNEES_CRAWLING, None, 14.0, ABSENT_OK, id="never crawled: not abnormal alone"
    ),
    pytest.param(M.HANDS_AND_KNEES_CRAWLING, 14.0, None, LATE, id="crawled after p99: late"),
    # head control, Denver II gross_motor:9 p90 6.2; no early edge
    pytest.param(M.HEAD_CONTROL, 0.5, None, ON_TIME, id="head control very early: on time"),
    pytest.param(M.HEAD_CONTROL, 6.2, None, ON_TIME, id="head control at p90: on time"),
    pytest.param(M.HEAD_CONTROL, 6.3, None, LATE, id="head control after p90: late"),
    pytest.param(M.HEAD_CONTROL, None, 6.3, LATE, id="no head control after p90: late"),
    # first words, Denver II language:14 p90 15.0
    pytest.param(M.FIRST_WORDS, 15.0, None, ON_TIME, id="first words at p90: on time"),
    pytest.param(M.FIRST_WORDS, None, 15.1, LATE, id="no words after p90: late"),
]


@pytest.mark.parametrize(("milestone", "attained", "observed", "expected"), TIMING_RULES)
def test_milestone_timing(
    milestone: MilestoneCode,
    attained: float | None,
    observed: float | None,
    expected: MilestoneTiming,
):
    timing = milestone_timing(
        WINDOWS[milestone], attained_at_months=attained, observed_at_months=observed
    )

    assert timing is expected


def test_not_attained_needs_an_observation():
    with pytest.raises(ValueError, match="last observed"):
        milestone_timing(WINDOWS[M.WALKING_ALONE], attained_at_months=None)


# --- Seed 000, as the paper tells it (both infants born at term or gestation not stated) ----------

SEED_000 = [
    pytest.param(M.HEAD_CONTROL, 4, ON_TIME, id="patient 1: head control at 4 months"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 18, LATE, id="patient 1: sat at 18 months"),
    pytest.param(M.STANDING_WITH_ASSISTANCE, 18, LATE, id="patient 1: stood with support at 18"),
    pytest.param(M.FIRST_WORDS, 17, LATE, id="patient 1: reliable words at 17 months"),
    pytest.param(M.SITTING_WITHOUT_SUPPORT, 15, LATE, id="patient 2: sat at 15 (window ends 9.2)"),
    pytest.param(
        M.STANDING_WITH_ASSISTANCE, 17, LATE, id="patient 2: stood with support at 17 (ends 11.4)"
    ),
    pytest.param(M.FIRST_WORDS, 18, LATE, id="patient 2: words at 18 months"),
]


@pytest.mark.parametrize(("milestone", "months", "expected"), SEED_000)
def test_seed_000_attainments(milestone: MilestoneCode, months: float, expected: MilestoneTiming):
    assessment = assess_milestone(
        WINDOWS[milestone], gestational_age_days=None, attained_at_months=months
    )

    assert assessment.timing is expected
    assert assessment.attained
    assert not assessment.corrected


@pytest.mark.parametrize(
    ("milestone", "observed", "expected"),
    [
        pytest.param(
            M.SITTING_WITHOUT_SUPPORT, 12, LATE, id="patient 1 on admission, 12 months, not sitting"
        ),
        pytest.param(
            M.HEAD_CONTROL, 9, LATE, id="patient 2 on admission, 9 months, poor head control"
        ),
        pytest.param(
            M.SITTING_WITHOUT_SUPPORT,
            9,
            NOT_YET,
            id="patient 2 on admission, 9 months, not sitting",
        ),
    ],
)
def test_seed_000_on_admission(
    milestone: MilestoneCode, observed: float, expected: MilestoneTiming
):
    assessment = assess_milestone(
        WINDOWS[milestone], gestational_age_days=gestation_days(40), observed_at_months=observed
    )

    assert assessment.timing is expected
    assert not assessment.attained


def test_seed_000_patient_2_from_dates():
    birth = dt.date(2019, 4, 10)

    sat = assess_milestone_on_dates(
        WINDOWS[M.SITTING_WITHOUT_SUPPORT],
        birth_date=birth,
        gestational_age_days=gestation_days(40),
        attained_on=dt.date(2020, 7, 10),  # 15 months
    )

    assert sat.timing is LATE
    assert sat.age_months == pytest.approx(15, abs=0.05)


# --- Preterm infants: corrected age, each source with its own rule -------------------------------


def test_sitting_is_judged_on_corrected_age():
    # Born at 32+0 weeks (56 days early), sat at 10.5 months: 8.66 months corrected.
    preterm = assess_milestone(
        WINDOWS[M.SITTING_WITHOUT_SUPPORT],
        gestational_age_days=gestation_days(32),
        attained_at_months=10.5,
    )
    term = assess_milestone(
        WINDOWS[M.SITTING_WITHOUT_SUPPORT], gestational_age_days=None, attained_at_months=10.5
    )

    assert preterm.corrected
    assert preterm.correction_days == 56
    assert preterm.age_months == pytest.approx(10.5 - 56 / 30.4375)
    assert preterm.chronological_age_months == 10.5
    assert preterm.timing is ON_TIME
    assert term.timing is LATE


def test_who_windows_use_the_growth_rule_and_denver_items_the_denver_rule():
    # Born at 38+0 weeks (14 days early): corrected for Denver II, not for growth (< 37 weeks).
    head_control = assess_milestone(
        WINDOWS[M.HEAD_CONTROL], gestational_age_days=gestation_days(38), attained_at_months=6.5
    )
    sitting = assess_milestone(
        WINDOWS[M.SITTING_WITHOUT_SUPPORT],
        gestational_age_days=gestation_days(38),
        attained_at_months=9.5,
    )

    assert head_control.correction_days == 14
    assert head_control.timing is ON_TIME
    assert sitting.correction_days == 0
    assert sitting.timing is LATE


def test_no_correction_from_24_months():
    words = assess_milestone(
        WINDOWS[M.FIRST_WORDS], gestational_age_days=gestation_days(32), attained_at_months=24
    )

    assert not words.corrected
    assert words.timing is LATE


def test_not_yet_attained_uses_the_corrected_age_at_observation():
    # 10.5 months chronological is 8.66 corrected: the sitting window (ends 9.2) is still open.
    assessment = assess_milestone(
        WINDOWS[M.SITTING_WITHOUT_SUPPORT],
        gestational_age_days=gestation_days(32),
        observed_at_months=10.5,
    )

    assert assessment.timing is NOT_YET


# --- Bad input ------------------------------------------------------------------------------------


def test_attained_after_the_observation_is_refused():
    with pytest.raises(ValueError, match="after the observation"):
        assess_milestone(
            WINDOWS[M.WALKING_ALONE],
            gestational_age_days=None,
            attained_at_months=14,
            observed_at_months=12,
        )


def test_neither_attained_nor_observed_is_refused():
    with pytest.raises(ValueError, match="last observed"):
        assess_milestone(WINDOWS[M.WALKING_ALONE], gestational_age_days=None)


def test_an_age_before_birth_is_refused():
    with pytest.raises(ValueError, match="before birth"):
        assess_milestone(WINDOWS[M.WALKING_ALONE], gestational_age_days=None, attained_at_months=-1)
    with pytest.raises(ValueError, match="before the birth date"):
        assess_milestone_on_dates(
            WINDOWS[M.WALKING_ALONE],
            birth_date=dt.date(2020, 1, 1),
            gestational_age_days=None,
            attained_on=dt.date(2019, 12, 31),
        )
