"""What the charts are drawn from: plain, frozen values with no Django in them.

Ages are in months of 30.4375 days (``clinical.ages``), lab days are whole days since the first B12
dose, growth values are kg or cm. Every value the loader puts here is one the viewer may see; the
drawing modules add nothing from elsewhere except the WHO tables and the suppression rule.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

from matplotlib.figure import Figure


class ImageFormat(StrEnum):
    PNG = "png"
    SVG = "svg"

    @property
    def content_type(self) -> str:
        return {"png": "image/png", "svg": "image/svg+xml"}[self.value]


@dataclass(frozen=True)
class ChartText:
    """What a chart says in words: its title and the alt text that describes its data."""

    title: str
    alt_text: str


@dataclass(frozen=True)
class Chart:
    """A drawn figure with the words that describe it to someone who cannot see it."""

    figure: Figure
    title: str
    alt_text: str


# --- Shared pieces --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch of time on the chart's own axis (months of age, or days since the first dose)."""

    start: float
    end: float
    label: str


@dataclass(frozen=True)
class Event:
    """Something that happened on one day, placed on the chart's axis.

    ``kind``: ``diagnosis``, ``first_dose``, ``stop``, ``mri_abnormal``, ``mri_normal``,
    ``mri_improved``, ``denver`` or ``today``.
    """

    at: float
    kind: str
    label: str


# --- Growth -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthPoint:
    measured_on: datetime.date
    #: The age WHO scored: corrected for prematurity where the growth rule applies.
    age_days: int
    chronological_age_days: int
    #: kg or cm as WHO scored it (length after WHO's lying/standing conversion).
    value: float
    #: The length a weight-for-length point is placed at (cm); None for the age-based indicators.
    length_cm: float | None = None
    z: float | None = None
    centile: float | None = None

    @property
    def corrected(self) -> bool:
        return self.age_days != self.chronological_age_days


@dataclass(frozen=True)
class GrowthChartData:
    #: ``wfa``, ``lfa``, ``hcfa`` or ``wfl`` (the clinical core's Indicator values).
    indicator: str
    #: ``male`` or ``female`` draws WHO curves; anything else draws the points alone.
    sex: str
    points: tuple[GrowthPoint, ...]
    reference_label: str
    #: Why some measurements are not on this chart (weight-for-length from two years on).
    note: str = ""


# --- Developmental trajectory ----------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneRow:
    code: str
    label: str
    #: WHO Motor Development Study window, 1st-99th percentile (months), for the six WHO milestones.
    who_window: tuple[float, float] | None
    #: Denver II item ages (months) at 25, 50, 75 and 90 % passing, when an item matches.
    denver_percentiles: tuple[float, float, float, float] | None
    denver_item: str
    #: The upper limit the timing was judged against (WHO 99th or Denver II 90th percentile).
    latest_months: float
    attained_chronological_months: float | None = None
    #: The age judged against the window: corrected for prematurity where its rule applies.
    attained_months: float | None = None
    #: ``early``, ``on_time``, ``late``; empty when not recorded.
    timing: str = ""


@dataclass(frozen=True)
class TrajectoryData:
    sex: str
    milestones: tuple[MilestoneRow, ...]
    #: B12 treatment phases, in months of chronological age.
    phases: tuple[Span, ...]
    adverse_events: tuple[Span, ...]
    events: tuple[Event, ...]
    #: Days the infant was born before 40 weeks (0 for a term infant or when not known).
    days_born_early: int = 0
    windows_version: str = ""
    norms_version: str = ""


# --- Denver II -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectorAge:
    sector: str
    months: float
    #: ``estimate``, ``at_least`` or ``below`` (clinical.denver.DevelopmentalAgeKind).
    kind: str


@dataclass(frozen=True)
class SectorStatus:
    sector: str
    #: ``delayed``, ``caution``, ``normal``.
    status: str
    #: ``items`` when scored item by item, ``reported`` for a conclusion known only from a report.
    basis: str
    #: Delays and cautions counted in the items (0 for a reported conclusion).
    delayed_items: int = 0
    caution_items: int = 0


@dataclass(frozen=True)
class DenverPoint:
    assessed_on: datetime.date
    #: The Denver II age line (corrected under the Denver II rule where it applies).
    age_line_months: float
    chronological_months: float
    #: ``normal``, ``suspect``, ``untestable``; empty for a sector-only report.
    test_result: str
    sector_ages: tuple[SectorAge, ...]
    statuses: tuple[SectorStatus, ...]


@dataclass(frozen=True)
class DenverChartData:
    assessments: tuple[DenverPoint, ...]
    norms_version: str = ""


# --- Labs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabPoint:
    day: int
    #: In the panel's unit; for a censored result, the limit the laboratory reported.
    value: float
    #: ``""`` for an exact result, otherwise ``<``, ``<=``, ``>`` or ``>=``.
    comparator: str
    flag: str
    #: The result as the laboratory reported it, e.g. ``<150 pg/mL``.
    text: str

    @property
    def censored(self) -> bool:
        return self.comparator != ""


@dataclass(frozen=True)
class WordResult:
    """A result the laboratory gave in words ("high"), or in a unit the panel does not plot."""

    day: int
    text: str


@dataclass(frozen=True)
class RangeSegment:
    """The reference range that applies between two days (ranges change with the age band)."""

    day_from: float
    day_to: float
    low: float | None
    high: float | None
    source: str


@dataclass(frozen=True)
class LabPanel:
    analyte: str
    label: str
    unit: str
    points: tuple[LabPoint, ...]
    words: tuple[WordResult, ...] = ()
    ranges: tuple[RangeSegment, ...] = ()


@dataclass(frozen=True)
class LabChartData:
    panels: tuple[LabPanel, ...]
    #: Treatment phases in days since the first dose.
    phases: tuple[Span, ...]
    #: What day 0 is: "first B12 dose" or, without a course, "diagnosis".
    origin_label: str
    events: tuple[Event, ...] = ()


# --- Cohort ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """One infant in a time-to-event analysis: months to the event, or to the last contact."""

    time: float
    event: bool


@dataclass(frozen=True)
class GroupSubjects:
    group: str
    subjects: tuple[Subject, ...]


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    groups: tuple[GroupSubjects, ...]
    #: Infants left out and why (not at risk, no follow-up), e.g. {"attained before treatment": 3}.
    excluded: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SurvivalChartData:
    title: str
    outcomes: tuple[Outcome, ...]
    #: True: draw the proportion who reached the event (1 - S); False: the proportion still free
    #: of it (S), as for retention in follow-up.
    cumulative: bool
    y_label: str
    x_label: str = "Months since the first B12 dose"
    stratified_by: str = ""
    filters_text: str = ""
    definitions: str = ""


@dataclass(frozen=True)
class GroupCounts:
    """Counts of infants (or doses) in the categories of one bar, and the infants behind them."""

    group: str
    infants: int
    counts: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class BarPanel:
    key: str
    label: str
    categories: tuple[str, ...]
    bars: tuple[GroupCounts, ...]


@dataclass(frozen=True)
class BarChartData:
    title: str
    panels: tuple[BarPanel, ...]
    #: What a bar's counts are: "infants" or "doses".
    unit: str
    stratified_by: str = ""
    filters_text: str = ""
    definitions: str = ""
    #: Category -> colour; categories not named take the group palette in turn.
    colours: tuple[tuple[str, str], ...] = field(default=())
