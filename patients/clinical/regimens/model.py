"""The words of a regimen: intervals, ends, phases, clinic closing days, planned doses and events.

Every value object validates itself on construction, so a regimen built in code and one read from
clinic-edited data obey the same rules (CLINICAL.md section 3).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from dateutil.relativedelta import relativedelta

ONE_DAY = dt.timedelta(days=1)
ISO_WEEKDAYS = range(1, 8)
_WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_KEY_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Route(StrEnum):
    INTRAMUSCULAR = "intramuscular"
    SUBCUTANEOUS = "subcutaneous"
    ORAL = "oral"


class DoseUnit(StrEnum):
    MG = "mg"
    # Written in full, never "mcg" or "ug": the BNF's own advice against misreading it as mg.
    MICROGRAM = "microgram"


class ClosingDayPolicy(StrEnum):
    """What the rest of a phase does when a closing day moves one of its in-clinic doses.

    CLINICAL.md section 3 asks for the choice per regimen. Either way a closing day delays a dose
    and never cancels one: a phase's ends are read on its own calendar, before any move. Keeping
    the interval also shifts the phases that follow, so a later phase that ends on a fixed date
    may then fit one dose fewer.
    """

    #: Later doses stay on the regimen's calendar; only the moved dose is late.
    KEEP_CALENDAR = "keep_calendar"
    #: Later doses shift by the same delay, so the gap after the moved dose stays one interval.
    KEEP_INTERVAL = "keep_interval"


class IntervalKind(StrEnum):
    DAILY = "daily"
    EVERY_N_DAYS = "every_n_days"
    #: N times a week, on chosen ISO weekdays (Monday = 1).
    WEEKDAYS = "weekdays"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    EVERY_N_MONTHS = "every_n_months"


_KINDS_WITH_N = frozenset({IntervalKind.EVERY_N_DAYS, IntervalKind.EVERY_N_MONTHS})


@dataclass(frozen=True)
class Interval:
    """How far apart a phase's doses are.

    Months are calendar months counted from the phase's first dose, so 31 Jan gives 28/29 Feb and
    then 31 Mar, never a 30-day step and never a drift from a shortened month (CLINICAL.md
    section 3). Day counts run straight across month ends.
    """

    kind: IntervalKind
    n: int = 1
    weekdays: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or isinstance(self.n, bool) or self.n < 1:
            raise ValueError(f"n must be a whole number of at least 1, got {self.n!r}")
        if self.n != 1 and self.kind not in _KINDS_WITH_N:
            raise ValueError(f"a {self.kind} interval takes no n")
        if self.kind is IntervalKind.WEEKDAYS:
            if not self.weekdays:
                raise ValueError("a weekdays interval needs at least one ISO weekday (1-7)")
            if any(day not in ISO_WEEKDAYS for day in self.weekdays):
                raise ValueError(f"weekdays must be ISO weekdays 1-7, got {list(self.weekdays)}")
            if list(self.weekdays) != sorted(set(self.weekdays)):
                raise ValueError(
                    f"weekdays must be in order without repeats, got {list(self.weekdays)}"
                )
        elif self.weekdays:
            raise ValueError(f"a {self.kind} interval takes no weekdays")

    @classmethod
    def daily(cls) -> Interval:
        return cls(IntervalKind.DAILY)

    @classmethod
    def every_n_days(cls, n: int) -> Interval:
        return cls(IntervalKind.EVERY_N_DAYS, n=n)

    @classmethod
    def on_weekdays(cls, *weekdays: int) -> Interval:
        return cls(IntervalKind.WEEKDAYS, weekdays=weekdays)

    @classmethod
    def weekly(cls) -> Interval:
        return cls(IntervalKind.WEEKLY)

    @classmethod
    def monthly(cls) -> Interval:
        return cls(IntervalKind.MONTHLY)

    @classmethod
    def every_n_months(cls, n: int) -> Interval:
        return cls(IntervalKind.EVERY_N_MONTHS, n=n)

    def date_of(self, first: dt.date, index: int) -> dt.date:
        """The date of dose ``index`` (0 = ``first``) of a phase whose first dose is on ``first``.

        Every date is computed from ``first``, never from the dose before it, which is what keeps
        monthly doses on their day of the month after a short month.
        """
        match self.kind:
            case IntervalKind.DAILY:
                return first + dt.timedelta(days=index)
            case IntervalKind.EVERY_N_DAYS:
                return first + dt.timedelta(days=index * self.n)
            case IntervalKind.WEEKLY:
                return first + dt.timedelta(weeks=index)
            case IntervalKind.MONTHLY:
                return first + relativedelta(months=index)
            case IntervalKind.EVERY_N_MONTHS:
                return first + relativedelta(months=index * self.n)
            case IntervalKind.WEEKDAYS:
                if index == 0:
                    # The first dose keeps its day even off the chosen weekdays: CLINICAL.md
                    # section 3 puts the first dose on the start date.
                    return first
                offsets = sorted((day - first.isoweekday()) % 7 or 7 for day in self.weekdays)
                weeks, position = divmod(index - 1, len(offsets))
                return first + dt.timedelta(days=offsets[position] + 7 * weeks)

    def first_after(self, day: dt.date) -> dt.date:
        """One interval after ``day``: where a phase starts after the previous phase's last dose."""
        return self.date_of(day, 1)

    def describe(self) -> str:
        match self.kind:
            case IntervalKind.EVERY_N_DAYS:
                return f"every {self.n} days"
            case IntervalKind.EVERY_N_MONTHS:
                return f"every {self.n} months"
            case IntervalKind.WEEKDAYS:
                names = ", ".join(_WEEKDAY_ABBREVIATIONS[day - 1] for day in self.weekdays)
                return f"{len(self.weekdays)} times a week ({names})"
            case _:
                return str(self.kind)


class TimeUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: TimeUnit

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool) or self.amount < 1:
            raise ValueError(f"a duration needs a whole amount of at least 1, got {self.amount!r}")

    def after(self, day: dt.date, times: int = 1) -> dt.date:
        """``times`` durations after ``day``, counted from ``day`` itself so months do not drift."""
        match self.unit:
            case TimeUnit.DAYS:
                return day + dt.timedelta(days=self.amount * times)
            case TimeUnit.WEEKS:
                return day + dt.timedelta(weeks=self.amount * times)
            case TimeUnit.MONTHS:
                return day + relativedelta(months=self.amount * times)

    def describe(self) -> str:
        unit = self.unit.value[:-1] if self.amount == 1 else self.unit.value
        return f"{self.amount} {unit}"


class MeasuredFrom(StrEnum):
    #: "then every 2 days for 2 weeks": from the phase's first dose.
    PHASE_START = "phase_start"
    #: "stopped after 18 months of therapy": from the course's first dose (seed 000, patient 2).
    COURSE_START = "course_start"


@dataclass(frozen=True)
class AfterDoses:
    """The phase ends after this many doses."""

    count: int

    def __post_init__(self) -> None:
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise ValueError(
                f"a dose count must be a whole number of at least 1, got {self.count!r}"
            )


@dataclass(frozen=True)
class ForDuration:
    """The phase gives doses on days before ``length`` has passed; that end day itself is excluded.

    So daily "for 2 weeks" from day 1 gives days 1-14, and every 2 days "for 2 weeks" from day 9
    gives days 9-21, seven doses (seed 000, patient 2; CLINICAL.md section 3).
    """

    length: Duration
    measured_from: MeasuredFrom = MeasuredFrom.PHASE_START


@dataclass(frozen=True)
class UntilDate:
    """The phase gives doses up to and including ``last_day``."""

    last_day: dt.date


@dataclass(frozen=True)
class OpenEnded:
    """Runs until a clinician advances the course ("until no further improvement", BNF for Children).

    The planner never invents an end: it plans doses up to the caller's horizon and a review point
    every ``review_every`` from the phase's first dose, which staff turn into a decision.
    """

    review_every: Duration


@dataclass(frozen=True)
class Lifelong:
    """Maintenance for life ("every 2 months for life", seed 003): planned up to a horizon only."""


PhaseEnd = AfterDoses | ForDuration | UntilDate | OpenEnded | Lifelong


@dataclass(frozen=True)
class Phase:
    name: str
    dose: Decimal
    unit: DoseUnit
    route: Route
    interval: Interval
    end: PhaseEnd
    #: A phase the family gives at home; oral doses are at home whatever this says.
    given_at_home: bool = False
    source: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a phase needs a name")
        if not isinstance(self.dose, Decimal) or not self.dose.is_finite() or self.dose <= 0:
            raise ValueError(f"a dose must be a positive Decimal, got {self.dose!r}")

    @property
    def is_unbounded(self) -> bool:
        return isinstance(self.end, OpenEnded | Lifelong)


@dataclass(frozen=True)
class Regimen:
    """A sequence of phases that a clinic edits as data (CLINICAL.md section 3).

    ``version`` goes with every course planned from the regimen, so editing a regimen never
    silently re-plans a course that was planned from an older version.
    """

    key: str
    name: str
    drug: str
    phases: tuple[Phase, ...]
    closing_day_policy: ClosingDayPolicy = ClosingDayPolicy.KEEP_CALENDAR
    version: int = 1
    source: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        if not _KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"key must be lower-case words joined by hyphens, got {self.key!r}")
        if not self.name.strip() or not self.drug.strip():
            raise ValueError("a regimen needs a name and a drug")
        if not isinstance(self.version, int) or isinstance(self.version, bool) or self.version < 1:
            raise ValueError(f"version must be a whole number of at least 1, got {self.version!r}")
        if not self.phases:
            raise ValueError("a regimen needs at least one phase")
        names = [phase.name for phase in self.phases]
        if len(set(names)) != len(names):
            # Review points and planned doses name their phase to staff, so names must tell apart.
            raise ValueError(f"phase names must differ, got {names}")
        for phase in self.phases[:-1]:
            if isinstance(phase.end, Lifelong):
                raise ValueError(f"phase {phase.name!r} is lifelong, so no phase can follow it")


@dataclass(frozen=True)
class ClinicClosures:
    """Days the clinic gives no in-clinic dose: ISO weekdays (Monday = 1) and single dates."""

    weekdays: frozenset[int] = frozenset()
    dates: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "dates", frozenset(self.dates))
        if any(day not in ISO_WEEKDAYS for day in self.weekdays):
            raise ValueError(
                f"closing weekdays must be ISO weekdays 1-7, got {sorted(self.weekdays)}"
            )
        if len(self.weekdays) == len(ISO_WEEKDAYS):
            raise ValueError("a clinic closed every weekday can give no dose")

    def is_closed(self, day: dt.date) -> bool:
        return day.isoweekday() in self.weekdays or day in self.dates

    def next_open_day(self, day: dt.date) -> dt.date:
        """``day`` itself when open, otherwise the first open day after it."""
        while self.is_closed(day):
            day += ONE_DAY
        return day


NO_CLOSURES = ClinicClosures()


@dataclass(frozen=True)
class MissedDose:
    """The dose planned on ``on`` was not given.

    It is kept, marked missed, and made up on ``make_up_on`` (default: the next day, or the next
    open day for an in-clinic dose): a loading phase needs its full count of doses. The rest of the
    phase then follows the regimen's closing-day policy, as if a closing day had moved the dose.
    """

    on: dt.date
    make_up_on: dt.date | None = None

    def __post_init__(self) -> None:
        if self.make_up_on is not None and self.make_up_on <= self.on:
            raise ValueError("a missed dose is made up after the day it was missed")


@dataclass(frozen=True)
class AdvanceToNextPhase:
    """A clinician ends the current phase on ``on`` (for example "no further improvement").

    The next phase starts one of its own intervals after the last dose given, as at a planned step
    (CLINICAL.md section 3), but never before ``on``.
    """

    on: dt.date


@dataclass(frozen=True)
class ChangeDoseOrRoute:
    """From ``on``, every later dose of every phase is given with what is set here."""

    on: dt.date
    dose: Decimal | None = None
    unit: DoseUnit | None = None
    route: Route | None = None

    def __post_init__(self) -> None:
        if self.dose is None and self.unit is None and self.route is None:
            raise ValueError("a change needs a new dose, unit or route")
        if self.dose is not None and (
            not isinstance(self.dose, Decimal) or not self.dose.is_finite() or self.dose <= 0
        ):
            raise ValueError(f"a dose must be a positive Decimal, got {self.dose!r}")


@dataclass(frozen=True)
class StopCourse:
    """No dose is given on ``on`` or after it."""

    on: dt.date


CourseEvent = MissedDose | AdvanceToNextPhase | ChangeDoseOrRoute | StopCourse


class DoseStatus(StrEnum):
    PLANNED = "planned"
    MISSED = "missed"


@dataclass(frozen=True)
class PlannedDose:
    date: dt.date
    phase_number: int
    phase_name: str
    #: Position in the course and in the phase, both from 1. A missed dose and its make-up share
    #: them: they are the same dose of the regimen.
    sequence: int
    sequence_in_phase: int
    dose: Decimal
    unit: DoseUnit
    route: Route
    given_at_home: bool
    #: The date the regimen gave the dose before a closing day or a missed dose moved it.
    original_date: dt.date | None = None
    status: DoseStatus = DoseStatus.PLANNED


@dataclass(frozen=True)
class ReviewPoint:
    """A date on which staff decide about an open-ended phase; the caller turns it into a task."""

    date: dt.date
    phase_number: int
    phase_name: str
    #: None when the phase is the last one: the decision is then to continue or to stop.
    next_phase_name: str | None

    @property
    def question(self) -> str:
        if self.next_phase_name is None:
            return f"Review the {self.phase_name} phase: continue or stop the course?"
        return (
            f"Review the {self.phase_name} phase: continue, or advance to {self.next_phase_name}?"
        )


@dataclass(frozen=True)
class CoursePlan:
    """Every planned dose and review point of a course, with what they were planned from."""

    regimen: Regimen
    start: dt.date
    closures: ClinicClosures
    horizon: dt.date | None
    events: tuple[CourseEvent, ...]
    doses: tuple[PlannedDose, ...]
    review_points: tuple[ReviewPoint, ...]
