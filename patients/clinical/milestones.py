"""Milestone windows, and whether a child reached a milestone early, on time or late.

Public API:

- ``MilestoneCode``: the eight milestones the record holds (CLINICAL.md sections 2 and 7).
- ``MilestoneWindow``: the expected age range of one milestone, with its source and age rule.
- ``MilestoneTiming``: early / on time / late / not yet attained / absent, not abnormal alone.
- ``MilestoneAssessment``: the timing with the age that decided it.
- ``load_who_motor_windows(source)``, ``denver_milestone_windows(norms)``,
  ``milestone_windows(*, who_windows, norms)``, ``bundled_milestone_windows()``,
  ``WHO_MOTOR_WINDOWS_VERSION``, ``DENVER_SOURCED_MILESTONES``.
- ``milestone_timing(window, *, attained_at_months, observed_at_months)``: on ages already on
  the window's scale (corrected where its rule says so).
- ``assess_milestone(window, *, gestational_age_days, attained_at_months, observed_at_months)``:
  from chronological ages in months, as parents report them ("sat at 15 months").
- ``assess_milestone_on_dates(window, *, birth_date, gestational_age_days, attained_on,
  observed_on)``: from dates, as staff record them.

Sources: the six gross motor windows are the WHO Motor Development Study's 1st-99th percentile
windows (WHO Multicentre Growth Reference Study Group, Acta Paediatr Suppl 2006;450:86-95,
PMID 16817682; data/who_motor_windows.md). Head control and first words have no WHO window; their
upper limit is the 90th percentile of one named Denver II item in the norm table in use, the age
past which a failure of that item is a delay (CLINICAL.md section 7).

Both sets of norms were built on term infants, so preterm infants are judged on corrected age: the
WHO windows with the growth rule (the motor study is part of the growth study's term cohort), the
Denver II items with the Denver II rule (ages.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from types import MappingProxyType
from typing import Final

from patients.clinical.ages import (
    DENVER_II_CORRECTION,
    WHO_GROWTH_CORRECTION,
    CorrectionRule,
    chronological_age_days,
    correction_days,
    months_from_days,
)
from patients.clinical.denver import (
    NormTable,
    ReferenceTableError,
    TableSource,
    bundled_norm_table,
    read_annotated_csv,
)

WHO_MOTOR_WINDOWS_VERSION: Final = "who-mgrs-motor-windows-2006-v1"
"""The version of data/who_motor_windows.csv (data/who_motor_windows.md)."""


class MilestoneCode(StrEnum):
    HEAD_CONTROL = "head_control"
    SITTING_WITHOUT_SUPPORT = "sitting_without_support"
    STANDING_WITH_ASSISTANCE = "standing_with_assistance"
    HANDS_AND_KNEES_CRAWLING = "hands_and_knees_crawling"
    WALKING_WITH_ASSISTANCE = "walking_with_assistance"
    STANDING_ALONE = "standing_alone"
    WALKING_ALONE = "walking_alone"
    FIRST_WORDS = "first_words"


WHO_MILESTONES: Final = frozenset(
    {
        MilestoneCode.SITTING_WITHOUT_SUPPORT,
        MilestoneCode.STANDING_WITH_ASSISTANCE,
        MilestoneCode.HANDS_AND_KNEES_CRAWLING,
        MilestoneCode.WALKING_WITH_ASSISTANCE,
        MilestoneCode.STANDING_ALONE,
        MilestoneCode.WALKING_ALONE,
    }
)
"""The six gross motor milestones of the WHO Motor Development Study."""

DENVER_SOURCED_MILESTONES: Final[Mapping[MilestoneCode, tuple[str, str]]] = MappingProxyType(
    {
        # Head control as a hypotonic infant is examined for it: pulled to sit, the head comes up
        # in line with the trunk. "Sit-Head Steady" (gross_motor:5, p90 3.7 months) is an earlier,
        # partial stage; seed 000 reports head control at 4 months as an achievement, not a delay.
        MilestoneCode.HEAD_CONTROL: ("gross_motor:9", "Pull to Sit-No Head Lag"),
        # First words: the first word the child uses with meaning. "Dada/Mama Specific"
        # (language:13) is an earlier stage; seed 000 speaks of "reliable words".
        MilestoneCode.FIRST_WORDS: ("language:14", "One Word"),
    }
)
"""Milestones without a WHO window: the Denver II item (code, label) whose p90 is the upper limit."""


class MilestoneTiming(StrEnum):
    EARLY = "early"  # before the window opens (WHO 1st percentile)
    ON_TIME = "on_time"  # within the window, both ends included
    LATE = "late"  # attained after the window closes, or not attained once it has closed
    NOT_YET_ATTAINED = "not_yet_attained"  # not attained, but the window has not closed
    # WHO (data README): 4.3 % of children never crawl on hands and knees, so its absence past
    # the window is not abnormal on its own.
    ABSENT_NOT_ABNORMAL_ALONE = "absent_not_abnormal_alone"


@dataclass(frozen=True, slots=True)
class MilestoneWindow:
    """The expected age range of one milestone on term-born children, in months.

    ``earliest_months`` is None when the source gives no "unusually early" edge (the Denver II
    p25 marks a child ahead of three quarters of peers, not a rare early attainment).
    ``never_attained_percent`` is set when typically developing children may skip the milestone.
    """

    code: MilestoneCode
    label: str
    earliest_months: float | None
    latest_months: float
    lower_percentile: int | None
    upper_percentile: int
    never_attained_percent: float | None
    correction: CorrectionRule
    reference_version: str
    source: str


@dataclass(frozen=True, slots=True)
class MilestoneAssessment:
    """A milestone's timing and the age that decided it (attainment, or else observation)."""

    window: MilestoneWindow
    timing: MilestoneTiming
    attained: bool
    age_months: float
    chronological_age_months: float
    correction_days: int

    @property
    def milestone(self) -> MilestoneCode:
        return self.window.code

    @property
    def corrected(self) -> bool:
        return self.correction_days > 0


def milestone_timing(
    window: MilestoneWindow,
    *,
    attained_at_months: float | None,
    observed_at_months: float | None = None,
) -> MilestoneTiming:
    """Timing on ages already on the window's scale (corrected where the window's rule says so).

    Both window ends belong to the window: attained exactly at the upper limit is on time, and a
    child not attaining it is late only once observed past that limit ("attained after the 99th
    percentile, or not attained by it, is late", CLINICAL.md section 7).
    """
    if attained_at_months is not None:
        _require_finite(attained_at_months, "attained_at_months")
        if window.earliest_months is not None and attained_at_months < window.earliest_months:
            return MilestoneTiming.EARLY
        if attained_at_months > window.latest_months:
            return MilestoneTiming.LATE
        return MilestoneTiming.ON_TIME
    if observed_at_months is None:
        raise ValueError("a milestone not attained needs the age at which it was last observed")
    _require_finite(observed_at_months, "observed_at_months")
    if observed_at_months <= window.latest_months:
        return MilestoneTiming.NOT_YET_ATTAINED
    if window.never_attained_percent:
        return MilestoneTiming.ABSENT_NOT_ABNORMAL_ALONE
    return MilestoneTiming.LATE


def assess_milestone(
    window: MilestoneWindow,
    *,
    gestational_age_days: int | None,
    attained_at_months: float | None = None,
    observed_at_months: float | None = None,
) -> MilestoneAssessment:
    """Assess from chronological ages in months, correcting them with the window's rule."""
    if (
        attained_at_months is not None
        and observed_at_months is not None
        and attained_at_months > observed_at_months
    ):
        raise ValueError(
            f"attained at {attained_at_months} months, after the observation at "
            f"{observed_at_months} months"
        )
    deciding_age = attained_at_months if attained_at_months is not None else observed_at_months
    if deciding_age is None:
        raise ValueError("a milestone not attained needs the age at which it was last observed")
    _require_finite(deciding_age, "age")
    if deciding_age < 0:
        raise ValueError(f"age {deciding_age} months is before birth")
    days = correction_days(
        chronological_age_months=deciding_age,
        gestational_age_days=gestational_age_days,
        rule=window.correction,
    )
    age_months = deciding_age - months_from_days(days)
    attained = attained_at_months is not None
    return MilestoneAssessment(
        window=window,
        timing=milestone_timing(
            window,
            attained_at_months=age_months if attained else None,
            observed_at_months=None if attained else age_months,
        ),
        attained=attained,
        age_months=age_months,
        chronological_age_months=deciding_age,
        correction_days=days,
    )


def assess_milestone_on_dates(
    window: MilestoneWindow,
    *,
    birth_date: dt.date,
    gestational_age_days: int | None,
    attained_on: dt.date | None = None,
    observed_on: dt.date | None = None,
) -> MilestoneAssessment:
    """Assess from dates; ages are counted as ages.py counts them (30.4375-day months)."""

    def months_on(on: dt.date | None) -> float | None:
        if on is None:
            return None
        return months_from_days(chronological_age_days(birth_date, on))

    return assess_milestone(
        window,
        gestational_age_days=gestational_age_days,
        attained_at_months=months_on(attained_on),
        observed_at_months=months_on(observed_on),
    )


# --- Windows ------------------------------------------------------------------------------------

_WHO_COLUMNS: Final = ("milestone", "label", "p01_months", "p99_months", "never_attained_percent")


def load_who_motor_windows(source: TableSource) -> tuple[MilestoneWindow, ...]:
    """Parse and validate a WHO motor windows file (format: denver.read_annotated_csv).

    Raises ReferenceTableError listing every problem: wrong columns, unknown, duplicate or missing
    milestone, bad numbers, a window that does not open before it closes.
    """
    table = read_annotated_csv(source)
    name = "WHO motor windows"
    version = table.metadata.get("version", "")
    problems: list[str] = []
    if not version:
        problems.append("no '# version:' line")
    if table.columns != _WHO_COLUMNS:
        raise ReferenceTableError(
            name, [*problems, f"columns must be {', '.join(_WHO_COLUMNS)}; got {table.columns}"]
        )
    source_note = table.metadata.get("source", "")
    windows: dict[MilestoneCode, MilestoneWindow] = {}
    for line_no, row in table.rows:
        where = f"line {line_no}"
        try:
            code = MilestoneCode(row["milestone"])
        except ValueError:
            problems.append(f"{where}: unknown milestone {row['milestone']!r}")
            continue
        if code not in WHO_MILESTONES:
            problems.append(f"{where}: {code.value} is not one of the WHO motor milestones")
            continue
        if code in windows:
            problems.append(f"{where}: duplicate milestone {code.value}")
            continue
        p01 = _parse_months(row["p01_months"], f"{where}: p01_months", problems)
        p99 = _parse_months(row["p99_months"], f"{where}: p99_months", problems)
        never = row["never_attained_percent"]
        never_attained = _parse_percent(never, f"{where}: never_attained_percent", problems)
        if p01 is None or p99 is None or (never and never_attained is None):
            continue
        if not p01 < p99:
            problems.append(f"{where}: window {p01}-{p99} months does not open before it closes")
            continue
        windows[code] = MilestoneWindow(
            code=code,
            label=row["label"] or code.value,
            earliest_months=p01,
            latest_months=p99,
            lower_percentile=1,
            upper_percentile=99,
            never_attained_percent=never_attained,
            correction=WHO_GROWTH_CORRECTION,
            reference_version=version,
            source=source_note,
        )
    missing = sorted(code.value for code in WHO_MILESTONES - windows.keys())
    if missing and not problems:
        problems.append(f"missing milestone(s): {', '.join(missing)}")
    if problems:
        raise ReferenceTableError(name, problems)
    return tuple(windows[code] for code in MilestoneCode if code in windows)


def denver_milestone_windows(norms: NormTable) -> tuple[MilestoneWindow, ...]:
    """Windows for the milestones WHO does not cover, read from a Denver II norm table.

    The item label is checked as well as the code, so a table numbered differently fails here
    instead of silently judging head control against another item.
    """
    windows = []
    for code, (item_code, expected_label) in DENVER_SOURCED_MILESTONES.items():
        item = norms.item(item_code)
        if _comparable(item.label) != _comparable(expected_label):
            raise ReferenceTableError(
                f"Denver II norm table {norms.version}",
                [f"{item_code} is {item.label!r}; {code.value} expects {expected_label!r}"],
            )
        windows.append(
            MilestoneWindow(
                code=code,
                label=code.value.replace("_", " ").capitalize(),
                earliest_months=None,
                latest_months=item.p90_months,
                lower_percentile=None,
                upper_percentile=90,
                never_attained_percent=None,
                correction=DENVER_II_CORRECTION,
                reference_version=norms.version,
                source=(
                    f"Denver II norm table {norms.version}, item {item_code} "
                    f"({item.label}), 90th percentile"
                ),
            )
        )
    return tuple(windows)


def milestone_windows(
    *, who_windows: tuple[MilestoneWindow, ...], norms: NormTable
) -> Mapping[MilestoneCode, MilestoneWindow]:
    """All eight windows, keyed and ordered by ``MilestoneCode``."""
    by_code = {window.code: window for window in (*who_windows, *denver_milestone_windows(norms))}
    return MappingProxyType({code: by_code[code] for code in MilestoneCode})


@functools.cache
def bundled_milestone_windows() -> Mapping[MilestoneCode, MilestoneWindow]:
    """The windows from the project's own data files (see the module docstring)."""
    path = resources.files("patients.clinical.data") / "who_motor_windows.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        who_windows = load_who_motor_windows(stream)
    return milestone_windows(who_windows=who_windows, norms=bundled_norm_table())


def _parse_months(text: str, where: str, problems: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        problems.append(f"{where} {text!r} is not an age in months (a number >= 0)")
        return None
    return value


def _parse_percent(text: str, where: str, problems: list[str]) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 100:
        problems.append(f"{where} {text!r} is not a percentage between 0 and 100")
        return None
    return value


def _comparable(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.casefold())


def _require_finite(months: float, name: str) -> None:
    if not math.isfinite(months):
        raise ValueError(f"{name} must be a number of months, got {months}")
