"""Safety rules that must surface as alerts rather than hide in notes (CLINICAL.md section 4).

1. Folic acid started before B12 treatment (seeds 003, 004).
2. No potassium within 48 hours of the first dose in a severely anaemic infant (hydroxocobalamin
   label, seed 003; "severely anaemic" per :data:`WHO_SEVERE_ANAEMIA`).
3. Tremor or myoclonus after the first dose, with the time since the first dose and the expected
   course (seed 000; Klin Padiatr 2023, PMID 37380026).

Each rule is a function of plain values and an explicit "now"/"today"; it returns alerts, never
writes anything. Counting: "day N after the first dose" is N calendar days after the first-dose
date, which is how seed 000 counts (first dose on hospital day 5, tremor on hospital day 8, "on the
3rd day of vit B12 treatment").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from patients.clinical.labs import LabValue, Position, position_against

__all__ = [
    "B12_DRUGS",
    "EXPECTED_RESOLUTION",
    "FOLIC_ACID_DRUGS",
    "MOVEMENT_KINDS",
    "POTASSIUM_WINDOW",
    "WHO_SEVERE_ANAEMIA",
    "Alert",
    "AnaemiaThreshold",
    "CourseStart",
    "MovementEvent",
    "SafetyInputs",
    "Severity",
    "TimedLab",
    "evaluate_safety",
    "folic_acid_before_b12",
    "involuntary_movements",
    "potassium_after_first_dose",
]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    #: Needs action now: harm continues or a deadline has passed.
    URGENT = "urgent"


@dataclass(frozen=True)
class Alert:
    code: str
    severity: Severity
    message: str
    #: Human-readable facts the alert rests on, so a reviewer can check it.
    evidence: tuple[str, ...]
    source: str


def clock(moment: datetime) -> str:
    """A moment as staff read it in a message: date and time on the clock it carries (the
    clinic's). Evidence keeps the full ISO form with its offset."""
    return f"{moment:%Y-%m-%d %H:%M}"


# --------------------------------------------------------------------------------------------
# 1. Folic acid before B12
# --------------------------------------------------------------------------------------------

B12_DRUGS: frozenset[str] = frozenset({"hydroxocobalamin", "cyanocobalamin", "methylcobalamin"})
FOLIC_ACID_DRUGS: frozenset[str] = frozenset({"folic_acid"})

_FOLIC_SOURCE = (
    "seeds 003, 004: never give folic acid before treating B12 deficiency; it can mask the "
    "anaemia while nerve damage progresses"
)


@dataclass(frozen=True)
class CourseStart:
    drug: str
    started_on: date


def folic_acid_before_b12(
    courses: Iterable[CourseStart],
    *,
    today: date,
    b12_drugs: frozenset[str] = B12_DRUGS,
    folic_acid_drugs: frozenset[str] = FOLIC_ACID_DRUGS,
) -> Alert | None:
    """Alert when the first folic acid course starts before the first B12 course.

    Urgent while folic acid runs without B12 (no B12 course, or B12 not started by ``today``);
    a warning once B12 has started, so the record still shows the exposure. Courses starting on
    the same date are not flagged: without times the order is unknown, and giving both together is
    the accepted practice.
    """
    courses = tuple(courses)
    folic = min((c.started_on for c in courses if c.drug in folic_acid_drugs), default=None)
    if folic is None:
        return None
    b12 = min((c.started_on for c in courses if c.drug in b12_drugs), default=None)
    if b12 is not None and b12 <= folic:
        return None
    evidence = [f"folic acid started {folic.isoformat()}"]
    if b12 is None:
        evidence.append("no B12 course recorded")
    else:
        evidence.append(f"first B12 course starts {b12.isoformat()}")
    b12_running = b12 is not None and b12 <= today
    if b12_running:
        message = "Folic acid was started before B12 treatment."
    else:
        message = "Folic acid has been started but B12 treatment has not: start B12 first."
    return Alert(
        code="folic_acid_before_b12",
        severity=Severity.WARNING if b12_running else Severity.URGENT,
        message=message,
        evidence=tuple(evidence),
        source=_FOLIC_SOURCE,
    )


# --------------------------------------------------------------------------------------------
# 2. Potassium within 48 hours in a severely anaemic infant
# --------------------------------------------------------------------------------------------

#: Hydroxocobalamin label, seed 003: monitor serum potassium closely during the first 48 hours.
POTASSIUM_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class AnaemiaThreshold:
    """Haemoglobin strictly below ``threshold`` counts as severe anaemia."""

    threshold: Decimal
    unit: str
    source: str


#: WHO 2011, "Haemoglobin concentrations for the diagnosis of anaemia and assessment of severity"
#: (WHO/NMH/NHD/MNM/11.1): severe anaemia in children 6-59 months is Hb < 7.0 g/dL. WHO gives no
#: cut-off below 6 months; the rule applies it there too rather than switching itself off for the
#: youngest infants. A clinic can pass another threshold.
WHO_SEVERE_ANAEMIA = AnaemiaThreshold(
    threshold=Decimal("7.0"),
    unit="g/dL",
    source="WHO 2011 haemoglobin concentrations (WHO/NMH/NHD/MNM/11.1): severe anaemia "
    "Hb < 7.0 g/dL at 6-59 months",
)

_POTASSIUM_SOURCE = (
    "hydroxocobalamin label; seed 003: monitor serum potassium in the first 48 hours "
    "(hypokalaemia at the height of the red-cell response)"
)


@dataclass(frozen=True)
class TimedLab:
    lab: LabValue
    collected_at: datetime


def potassium_after_first_dose(
    *,
    first_dose_at: datetime,
    haemoglobin: Iterable[TimedLab],
    potassium_collected_at: Iterable[datetime],
    now: datetime,
    severe_anaemia: AnaemiaThreshold = WHO_SEVERE_ANAEMIA,
) -> Alert | None:
    """Potassium check for a severely anaemic infant.

    Severity is judged on the last haemoglobin at or before the first dose and on any taken in
    the 48 hours after it. A censored value that may be below the threshold (``<8``) counts, as
    a missed potassium costs more than a needless one. Only potassium taken from the first dose
    to 48 hours after it counts: a baseline value cannot show the fall.

    The rule speaks before the deadline as well as after it: ``potassium_due`` (warning) while
    there is still time to draw it, ``potassium_missed`` (urgent) once 48 hours have passed.
    """
    _require_aware(first_dose_at, "first_dose_at")
    _require_aware(now, "now")
    if now < first_dose_at:
        return None
    deadline = first_dose_at + POTASSIUM_WINDOW
    if any(first_dose_at <= t <= deadline for t in potassium_collected_at):
        return None
    severe = _severe_haemoglobin(first_dose_at, deadline, tuple(haemoglobin), severe_anaemia)
    if severe is None:
        return None
    hb, position = severe
    hb_text = f"{hb.lab.comparator}{hb.lab.value} {hb.lab.unit}"
    qualifier = "" if position is Position.BELOW else "possibly "
    who = "Severely anaemic infant" if not qualifier else "Possibly severely anaemic infant"
    evidence = (
        f"haemoglobin {hb_text} at {hb.collected_at.isoformat()} ({qualifier}below "
        f"{severe_anaemia.threshold} {severe_anaemia.unit})",
        f"first dose {first_dose_at.isoformat()}",
        f"no potassium between the first dose and {deadline.isoformat()}",
    )
    if now <= deadline:
        hours_left = int((deadline - now).total_seconds() // 3600)
        return Alert(
            code="potassium_due",
            severity=Severity.WARNING,
            message=(
                f"{who}: serum potassium is due within "
                f"48 hours of the first dose, by {clock(deadline)} ({hours_left} h left)."
            ),
            evidence=evidence,
            source=f"{_POTASSIUM_SOURCE}; {severe_anaemia.source}",
        )
    return Alert(
        code="potassium_missed",
        severity=Severity.URGENT,
        message=(
            f"{who}: no serum potassium within 48 "
            f"hours of the first dose (deadline {clock(deadline)})."
        ),
        evidence=evidence,
        source=f"{_POTASSIUM_SOURCE}; {severe_anaemia.source}",
    )


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _severe_haemoglobin(
    first_dose_at: datetime,
    deadline: datetime,
    results: tuple[TimedLab, ...],
    threshold: AnaemiaThreshold,
) -> tuple[TimedLab, Position] | None:
    before = [r for r in results if r.collected_at <= first_dose_at]
    candidates = [max(before, key=lambda r: r.collected_at)] if before else []
    candidates += sorted(
        (r for r in results if first_dose_at < r.collected_at <= deadline),
        key=lambda r: r.collected_at,
    )
    possible: tuple[TimedLab, Position] | None = None
    for result in candidates:
        if result.lab.analyte != "haemoglobin":
            raise ValueError(f"expected haemoglobin results, got {result.lab.analyte!r}")
        position = position_against(result.lab, threshold.threshold, threshold.unit)
        if position is Position.BELOW:
            return result, position
        if position is Position.EITHER and possible is None:
            possible = result, position
    return possible


# --------------------------------------------------------------------------------------------
# 3. Involuntary movements after the first dose
# --------------------------------------------------------------------------------------------

MOVEMENT_KINDS: frozenset[str] = frozenset({"tremor", "myoclonus", "involuntary_movements"})

#: "Resolves in days to a few weeks" (CLINICAL.md section 4) read as four weeks; beyond it the
#: movements no longer follow the expected course. A convention, not a sourced number.
EXPECTED_RESOLUTION = timedelta(days=28)

_MOVEMENT_SOURCE = (
    "seed 000 (tremor from day 3 of treatment, lasting 8 days, EEG normal); "
    "Klin Padiatr 2023 (PMID 37380026): 19-32 % of treated infants in small series, "
    "onset days 3-5, resolution within days to a few weeks"
)
_EXPECTED_COURSE = (
    "Expected course: treatment-emergent tremor or myoclonus occurs in 19-32 % of treated "
    "infants in small series, usually from days 3-5, and resolves within days to a few weeks. "
    "Consider EEG to distinguish it from seizures."
)


@dataclass(frozen=True)
class MovementEvent:
    kind: str
    onset_on: date
    resolved_on: date | None = None


def involuntary_movements(
    events: Iterable[MovementEvent],
    *,
    first_dose_on: date,
    today: date,
) -> tuple[Alert, ...]:
    """One alert per tremor or myoclonus starting on or after the first-dose date.

    Movements present before treatment are presenting signs, not treatment-emergent, and raise
    nothing here. An episode still unresolved beyond the expected course raises an urgent
    ``involuntary_movements_persisting`` alert instead of the warning.
    """
    alerts = []
    for event in events:
        if event.kind not in MOVEMENT_KINDS or event.onset_on < first_dose_on:
            continue
        day = (event.onset_on - first_dose_on).days
        kind = event.kind.replace("_", " ")
        evidence = [
            f"first dose {first_dose_on.isoformat()}",
            f"{kind} onset {event.onset_on.isoformat()}",
        ]
        code, severity = "involuntary_movements", Severity.WARNING
        if event.resolved_on is not None:
            course = f" Resolved after {_days((event.resolved_on - event.onset_on).days)}."
            evidence.append(f"resolved {event.resolved_on.isoformat()}")
        else:
            ongoing = (today - event.onset_on).days
            course = f" Ongoing for {_days(ongoing)}."
            if today - event.onset_on > EXPECTED_RESOLUTION:
                code, severity = "involuntary_movements_persisting", Severity.URGENT
                course += " This is longer than the expected course: review."
        alerts.append(
            Alert(
                code=code,
                severity=severity,
                message=(
                    f"{kind.capitalize()} from day {day} after the first dose.{course} "
                    f"{_EXPECTED_COURSE}"
                ),
                evidence=tuple(evidence),
                source=_MOVEMENT_SOURCE,
            )
        )
    return tuple(alerts)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


# --------------------------------------------------------------------------------------------
# All rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyInputs:
    courses: tuple[CourseStart, ...] = ()
    #: ``None`` until the first B12 dose has been given.
    first_dose_at: datetime | None = None
    haemoglobin: tuple[TimedLab, ...] = ()
    potassium_collected_at: tuple[datetime, ...] = ()
    movements: tuple[MovementEvent, ...] = ()


def evaluate_safety(inputs: SafetyInputs, *, now: datetime) -> tuple[Alert, ...]:
    """Every alert that applies at ``now`` (aware, in the clinic's time zone: its date is today)."""
    _require_aware(now, "now")
    today = now.date()
    alerts: list[Alert] = []
    folic = folic_acid_before_b12(inputs.courses, today=today)
    if folic is not None:
        alerts.append(folic)
    if inputs.first_dose_at is not None:
        potassium = potassium_after_first_dose(
            first_dose_at=inputs.first_dose_at,
            haemoglobin=inputs.haemoglobin,
            potassium_collected_at=inputs.potassium_collected_at,
            now=now,
        )
        if potassium is not None:
            alerts.append(potassium)
        alerts.extend(
            involuntary_movements(
                inputs.movements,
                first_dose_on=inputs.first_dose_at.astimezone(now.tzinfo).date(),
                today=today,
            )
        )
    return tuple(alerts)
