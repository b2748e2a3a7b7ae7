"""Safety rules of CLINICAL.md section 4, each firing and not firing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from patients.clinical.labs import Comparator, LabValue
from patients.clinical.safety import (
    Alert,
    CourseStart,
    MovementEvent,
    SafetyInputs,
    Severity,
    TimedLab,
    evaluate_safety,
    folic_acid_before_b12,
    involuntary_movements,
    potassium_after_first_dose,
)

CLINIC = ZoneInfo("Europe/Istanbul")
H = timedelta(hours=1)

# --------------------------------------------------------------------------------------------
# Folic acid before B12 (seeds 003, 004)
# --------------------------------------------------------------------------------------------

MAR_1, MAR_4, MAR_10 = date(2024, 3, 1), date(2024, 3, 4), date(2024, 3, 10)


def folic(on: date) -> CourseStart:
    return CourseStart("folic_acid", on)


def hydroxo(on: date) -> CourseStart:
    return CourseStart("hydroxocobalamin", on)


@pytest.mark.parametrize(
    ("courses", "today", "severity"),
    [
        ((), MAR_10, None),
        ((hydroxo(MAR_1),), MAR_10, None),
        ((hydroxo(MAR_1), folic(MAR_4)), MAR_10, None),  # B12 first: the right order
        ((hydroxo(MAR_4), folic(MAR_4)), MAR_10, None),  # same day: order unknown, not flagged
        ((folic(MAR_1), hydroxo(MAR_4)), MAR_10, Severity.WARNING),  # B12 has since started
        ((folic(MAR_1), CourseStart("cyanocobalamin", MAR_4)), MAR_10, Severity.WARNING),
        ((folic(MAR_1), hydroxo(MAR_10)), MAR_4, Severity.URGENT),  # B12 only planned
        ((folic(MAR_1),), MAR_4, Severity.URGENT),  # no B12 at all
        ((folic(MAR_1), CourseStart("iron", MAR_1)), MAR_4, Severity.URGENT),
        ((CourseStart("iron", MAR_1), hydroxo(MAR_4)), MAR_10, None),
        # a later B12 course does not hide an earlier one
        ((hydroxo(MAR_1), folic(MAR_4), hydroxo(MAR_10)), MAR_10, None),
    ],
)
def test_folic_acid_before_b12(
    courses: tuple[CourseStart, ...], today: date, severity: Severity | None
) -> None:
    alert = folic_acid_before_b12(courses, today=today)
    if severity is None:
        assert alert is None
        return
    assert alert is not None
    assert (alert.code, alert.severity) == ("folic_acid_before_b12", severity)
    assert "seeds 003, 004" in alert.source
    assert "folic acid started 2024-03-01" in alert.evidence


def test_folic_acid_alert_explains_itself() -> None:
    alert = folic_acid_before_b12([folic(MAR_1)], today=MAR_4)
    assert alert is not None
    assert (
        alert.message == "Folic acid has been started but B12 treatment has not: start B12 first."
    )
    assert alert.evidence == ("folic acid started 2024-03-01", "no B12 course recorded")


# --------------------------------------------------------------------------------------------
# Potassium within 48 hours in a severely anaemic infant
# --------------------------------------------------------------------------------------------

# Seed 000, patient 2: Hb 6.7 g/dL on admission; hydroxocobalamin from hospital day 5.
FIRST_DOSE = datetime(2024, 3, 5, 10, 0, tzinfo=CLINIC)


def hb(value: str, at: datetime, unit: str = "g/dL", comparator: str = "") -> TimedLab:
    return TimedLab(LabValue("haemoglobin", Decimal(value), unit, Comparator(comparator)), at)


ADMISSION_HB = hb("6.7", FIRST_DOSE - 96 * H)


@pytest.mark.parametrize(
    ("haemoglobin", "potassium", "now", "code"),
    [
        # severely anaemic, nothing drawn yet: due, then missed
        ((ADMISSION_HB,), (), FIRST_DOSE + 12 * H, "potassium_due"),
        ((ADMISSION_HB,), (), FIRST_DOSE + 48 * H, "potassium_due"),
        ((ADMISSION_HB,), (), FIRST_DOSE + 49 * H, "potassium_missed"),
        # drawn inside the window, up to the deadline itself
        ((ADMISSION_HB,), (FIRST_DOSE + 10 * H,), FIRST_DOSE + 12 * H, None),
        ((ADMISSION_HB,), (FIRST_DOSE + 48 * H,), FIRST_DOSE + 72 * H, None),
        # a baseline before the first dose, or a late one, does not count
        ((ADMISSION_HB,), (FIRST_DOSE - 2 * H,), FIRST_DOSE + 72 * H, "potassium_missed"),
        ((ADMISSION_HB,), (FIRST_DOSE + 50 * H,), FIRST_DOSE + 72 * H, "potassium_missed"),
        # before treatment starts there is nothing to say
        ((ADMISSION_HB,), (), FIRST_DOSE - H, None),
        # WHO severe anaemia is Hb < 7.0 g/dL: 7.0 itself is not severe
        ((hb("7.0", FIRST_DOSE - H),), (), FIRST_DOSE + 72 * H, None),
        ((hb("6.9", FIRST_DOSE - H),), (), FIRST_DOSE + 72 * H, "potassium_missed"),
        ((hb("69", FIRST_DOSE - H, "g/L"),), (), FIRST_DOSE + 72 * H, "potassium_missed"),
        ((hb("70", FIRST_DOSE - H, "g/L"),), (), FIRST_DOSE + 72 * H, None),
        # a censored value that may be severe counts; one that cannot be does not
        ((hb("8", FIRST_DOSE - H, comparator="<"),), (), FIRST_DOSE + 72 * H, "potassium_missed"),
        ((hb("7", FIRST_DOSE - H, comparator=">="),), (), FIRST_DOSE + 72 * H, None),
        # the latest value before the first dose decides (after a transfusion, say)...
        ((ADMISSION_HB, hb("9.1", FIRST_DOSE - 2 * H)), (), FIRST_DOSE + 72 * H, None),
        # ...and a severe value within the 48 hours counts too
        (
            (hb("9.1", FIRST_DOSE - 2 * H), hb("6.5", FIRST_DOSE + 20 * H)),
            (),
            FIRST_DOSE + 72 * H,
            "potassium_missed",
        ),
        # no haemoglobin at all: the rule cannot call the infant severely anaemic
        ((), (), FIRST_DOSE + 72 * H, None),
    ],
)
def test_potassium_rule(
    haemoglobin: tuple[TimedLab, ...],
    potassium: tuple[datetime, ...],
    now: datetime,
    code: str | None,
) -> None:
    alert = potassium_after_first_dose(
        first_dose_at=FIRST_DOSE,
        haemoglobin=haemoglobin,
        potassium_collected_at=potassium,
        now=now,
    )
    assert (alert.code if alert else None) == code


def test_potassium_due_says_when_and_why() -> None:
    alert = potassium_after_first_dose(
        first_dose_at=FIRST_DOSE,
        haemoglobin=[ADMISSION_HB],
        potassium_collected_at=[],
        now=FIRST_DOSE + 12 * H,
    )
    assert alert is not None
    assert alert.severity is Severity.WARNING
    assert alert.message == (
        "Severely anaemic infant: serum potassium is due within 48 hours of the first dose, "
        "by 2024-03-07 10:00 (36 h left)."
    )
    assert alert.evidence[0].startswith("haemoglobin 6.7 g/dL at 2024-03-01T10:00:00+03:00")
    assert "WHO 2011" in alert.source and "hydroxocobalamin label" in alert.source


def test_potassium_missed_is_urgent_and_says_possibly_for_a_censored_value() -> None:
    alert = potassium_after_first_dose(
        first_dose_at=FIRST_DOSE,
        haemoglobin=[hb("8", FIRST_DOSE - H, comparator="<")],
        potassium_collected_at=[],
        now=FIRST_DOSE + 49 * H,
    )
    assert alert is not None
    assert alert.severity is Severity.URGENT
    assert alert.message.startswith("Possibly severely anaemic infant: no serum potassium")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"first_dose_at": datetime(2024, 3, 5, 10)}, "first_dose_at"),
        ({"now": datetime(2024, 3, 6, 10)}, "now"),
        (
            {"haemoglobin": [TimedLab(LabValue("mcv", Decimal("80"), "fL"), FIRST_DOSE)]},
            "expected haemoglobin",
        ),
    ],
)
def test_potassium_rule_refuses_bad_input(kwargs: dict, error: str) -> None:
    arguments: dict = {
        "first_dose_at": FIRST_DOSE,
        "haemoglobin": [],
        "potassium_collected_at": [],
        "now": FIRST_DOSE + H,
    }
    with pytest.raises(ValueError, match=error):
        potassium_after_first_dose(**(arguments | kwargs))


# --------------------------------------------------------------------------------------------
# Involuntary movements after the first dose
# --------------------------------------------------------------------------------------------

FIRST_DOSE_DAY = date(2024, 3, 5)  # hospital day 5 in seed 000, patient 2


def movements(*events: MovementEvent, today: date) -> tuple[Alert, ...]:
    return involuntary_movements(events, first_dose_on=FIRST_DOSE_DAY, today=today)


def test_seed_000_patient_2_tremor_on_day_3_lasting_8_days() -> None:
    # Tremor on hospital day 8, i.e. 3 days after the first dose; subsided within 8 days.
    tremor = MovementEvent("tremor", date(2024, 3, 8), resolved_on=date(2024, 3, 16))
    (alert,) = movements(tremor, today=date(2024, 3, 20))
    assert (alert.code, alert.severity) == ("involuntary_movements", Severity.WARNING)
    assert alert.message.startswith(
        "Tremor from day 3 after the first dose. Resolved after 8 days."
    )
    assert "19-32 %" in alert.message
    assert "resolves within days to a few weeks" in alert.message
    assert "EEG" in alert.message
    assert "PMID 37380026" in alert.source and "seed 000" in alert.source
    assert alert.evidence == (
        "first dose 2024-03-05",
        "tremor onset 2024-03-08",
        "resolved 2024-03-16",
    )


@pytest.mark.parametrize(
    ("event", "today", "code", "course"),
    [
        (MovementEvent("myoclonus", date(2024, 3, 5)), date(2024, 3, 6), "involuntary_movements", "Myoclonus from day 0 after the first dose. Ongoing for 1 day."),
        (MovementEvent("myoclonus", date(2024, 3, 9)), date(2024, 3, 19), "involuntary_movements", "Myoclonus from day 4 after the first dose. Ongoing for 10 days."),
        # "a few weeks" read as 28 days: the 28th day is still the expected course
        (MovementEvent("tremor", date(2024, 3, 8)), date(2024, 4, 5), "involuntary_movements", "Tremor from day 3 after the first dose. Ongoing for 28 days."),
        (MovementEvent("tremor", date(2024, 3, 8)), date(2024, 4, 6), "involuntary_movements_persisting", "Tremor from day 3 after the first dose. Ongoing for 29 days. This is longer"),
    ],
)  # fmt: skip
def test_ongoing_movements(event: MovementEvent, today: date, code: str, course: str) -> None:
    (alert,) = movements(event, today=today)
    assert alert.code == code
    assert alert.message.startswith(course)
    expected = Severity.URGENT if code.endswith("persisting") else Severity.WARNING
    assert alert.severity is expected


@pytest.mark.parametrize(
    "event",
    [
        # present before treatment: a presenting sign, not treatment-emergent
        MovementEvent("tremor", date(2024, 3, 4)),
        # not an involuntary movement this rule covers
        MovementEvent("seizure", date(2024, 3, 8)),
    ],
)
def test_movement_rule_does_not_fire(event: MovementEvent) -> None:
    assert movements(event, today=date(2024, 3, 20)) == ()


def test_one_alert_per_episode() -> None:
    alerts = movements(
        MovementEvent("tremor", date(2024, 3, 8), resolved_on=date(2024, 3, 16)),
        MovementEvent("myoclonus", date(2024, 3, 9), resolved_on=date(2024, 3, 12)),
        today=date(2024, 3, 20),
    )
    assert [a.message.split(".")[0] for a in alerts] == [
        "Tremor from day 3 after the first dose",
        "Myoclonus from day 4 after the first dose",
    ]


# --------------------------------------------------------------------------------------------
# All rules together
# --------------------------------------------------------------------------------------------


def test_seed_000_patient_2_on_day_3() -> None:
    inputs = SafetyInputs(
        courses=(hydroxo(FIRST_DOSE_DAY),),
        first_dose_at=FIRST_DOSE,
        haemoglobin=(ADMISSION_HB,),
        movements=(MovementEvent("tremor", date(2024, 3, 8)),),
    )
    alerts = evaluate_safety(inputs, now=datetime(2024, 3, 8, 18, 0, tzinfo=CLINIC))
    assert [(a.code, a.severity) for a in alerts] == [
        ("potassium_missed", Severity.URGENT),
        ("involuntary_movements", Severity.WARNING),
    ]


def test_no_alerts_for_a_well_managed_course() -> None:
    inputs = SafetyInputs(
        courses=(hydroxo(FIRST_DOSE_DAY), CourseStart("folic_acid", date(2024, 3, 6))),
        first_dose_at=FIRST_DOSE,
        haemoglobin=(ADMISSION_HB,),
        potassium_collected_at=(FIRST_DOSE + 20 * H,),
    )
    assert evaluate_safety(inputs, now=datetime(2024, 3, 20, 9, 0, tzinfo=CLINIC)) == ()


def test_before_any_b12_only_the_folic_acid_rule_can_speak() -> None:
    inputs = SafetyInputs(courses=(folic(MAR_1),))
    (alert,) = evaluate_safety(inputs, now=datetime(2024, 3, 2, 9, 0, tzinfo=CLINIC))
    assert (alert.code, alert.severity) == ("folic_acid_before_b12", Severity.URGENT)


def test_evaluate_safety_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="now"):
        evaluate_safety(SafetyInputs(), now=datetime(2024, 3, 2, 9, 0))
