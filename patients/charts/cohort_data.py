"""From de-identified cohort records to the data of the cohort charts: filters, groups, outcomes.

A :class:`CohortInfant` carries no name, no record number and no id: only the dates and codes
the charts count. Every rule that turns a record into an event or a censoring is here, written out
so that a lead reading a chart can know what it counts:

- Time origin for milestones, labs and adherence: the first B12 dose (the start of the first
  hydroxocobalamin or cyanocobalamin course). For retention: the diagnosis date.
- Milestone reached: its recorded attainment date (an age in months is placed on the calendar at
  30.4375 days a month). An infant who reached it before the first dose was never at risk and is
  left out; one who has not reached it is censored at the last contact, the latest day the record
  shows the infant (visit, lab, measurement, dose, assessment, imaging), never after today.
- Lab normalisation: the first result after the first-dose day that is normal by the cohort rule:
  B12 at least 180 pmol/L (the lower limit of the infant reference interval, CLINICAL.md section 5;
  a censored "<150 pg/mL" never qualifies), haemoglobin at least 10.5 g/dL (the WHO anaemia
  cut-off at 6-23 months, CLINICAL.md section 5). Without one the infant is censored at the last
  result of that analyte after the first dose; infants with no such result are left out.
- Retention: lost to follow-up is the event, at the last contact; every other infant (active,
  completed, transferred) is censored at the last contact.
- Denver II at three years: the assessment nearest 36 months of chronological age within 30-48
  months.
- Adherence: a planned dose due by today is on time when given no later than its due day plus a
  grace of a quarter of the phase's dose interval, rounded down (0 days for daily and alternate-day
  phases, 7 for monthly ones); late when given after that; missed when recorded as missed or not
  given by the end of its grace. Doses still within their grace are not counted yet.
"""

from __future__ import annotations

import datetime
import itertools
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from patients.charts.cohort import MINIMUM_CELL
from patients.charts.model import (
    BarChartData,
    BarPanel,
    GroupCounts,
    GroupSubjects,
    Outcome,
    Subject,
    SurvivalChartData,
)
from patients.clinical.ages import WHO_DAYS_PER_MONTH, months_from_days

#: Lower limit of normal used for "B12 normalised", in pmol/L (CLINICAL.md section 5).
B12_NORMAL_FROM_PMOL_L = Decimal("180")
#: "No longer anaemic": the WHO cut-off for 6-23 months, in g/dL (CLINICAL.md section 5).
HAEMOGLOBIN_NORMAL_FROM_G_DL = Decimal("10.5")

MILESTONE_ORDER = (
    ("head_control", "Head control"),
    ("sitting_without_support", "Sits without support"),
    ("hands_and_knees_crawling", "Crawls on hands and knees"),
    ("standing_with_assistance", "Stands with assistance"),
    ("walking_with_assistance", "Walks with assistance"),
    ("standing_alone", "Stands alone"),
    ("walking_alone", "Walks alone"),
    ("first_words", "First words"),
)

STRATIFICATIONS = {
    "age_at_diagnosis": "age at diagnosis",
    "sex": "sex",
    "mri_severity": "first MRI severity",
    "regimen": "regimen",
    "none": "",
}

# Seed 000 discussion (von Schenck et al.): a normal outcome at a mean diagnosis age of 10 months,
# permanent abnormalities at a mean of 13 months.
AGE_GROUPS = ("< 10 months", "10 to < 13 months", ">= 13 months", "age at diagnosis not recorded")
MRI_GROUPS = ("severe", "moderate", "mild", "normal", "no MRI")
MRI_RANK = {"mild": 1, "moderate": 2, "severe": 3}

DENVER_CATEGORIES = (
    "normal",
    "suspect",
    "untestable",
    "delay reported (by sector)",
    "no delay reported (by sector)",
)
SECTORS = (
    ("personal_social", "Personal-social"),
    ("fine_motor_adaptive", "Fine motor-adaptive"),
    ("language", "Language"),
    ("gross_motor", "Gross motor"),
)
ADHERENCE_CATEGORIES = ("on time", "late", "missed")


@dataclass(frozen=True)
class LabRecord:
    analyte: str
    collected_on: datetime.date
    #: In the analyte's canonical unit (pmol/L for B12, g/dL for haemoglobin).
    canonical_value: Decimal
    comparator: str


@dataclass(frozen=True)
class DenverRecord:
    assessed_on: datetime.date
    #: ``normal``, ``suspect``, ``untestable``; empty for a report by sector.
    test_result: str
    delayed_sectors: frozenset[str]


@dataclass(frozen=True)
class DoseRecord:
    #: Which of the infant's courses (0, 1...): keeps phases of two courses apart, names nothing.
    course: int
    phase_number: int
    phase_name: str
    due_on: datetime.date
    given_on: datetime.date | None
    missed: bool


@dataclass(frozen=True)
class CohortInfant:
    sex: str
    birth_date: datetime.date
    diagnosis_date: datetime.date | None
    follow_up_status: str
    last_contact_on: datetime.date
    signs: frozenset[str] = frozenset()
    #: Worst severity on the first brain MRI: severe, moderate, mild, normal, or "" without MRI.
    mri_severity: str = ""
    regimen_key: str = ""
    regimen_name: str = ""
    first_dose_on: datetime.date | None = None
    milestones: tuple[tuple[str, datetime.date], ...] = ()
    labs: tuple[LabRecord, ...] = ()
    denver: tuple[DenverRecord, ...] = ()
    doses: tuple[DoseRecord, ...] = ()

    @property
    def diagnosis_age_months(self) -> float | None:
        if self.diagnosis_date is None:
            return None
        return months_from_days((self.diagnosis_date - self.birth_date).days)


@dataclass(frozen=True)
class CohortFilters:
    diagnosis_age_min_months: float | None = None
    diagnosis_age_max_months: float | None = None
    sex: str | None = None
    signs: tuple[str, ...] = ()
    mri_severity: str | None = None
    regimen: str | None = None
    diagnosed_from: datetime.date | None = None
    diagnosed_to: datetime.date | None = None
    stratify: str = "age_at_diagnosis"

    def matches(self, infant: CohortInfant) -> bool:
        age = infant.diagnosis_age_months
        if self.diagnosis_age_min_months is not None and (
            age is None or age < self.diagnosis_age_min_months
        ):
            return False
        if self.diagnosis_age_max_months is not None and (
            age is None or age >= self.diagnosis_age_max_months
        ):
            return False
        if self.sex and infant.sex != self.sex:
            return False
        if self.signs and not set(self.signs) <= infant.signs:
            return False
        if self.mri_severity and (infant.mri_severity or "none") != self.mri_severity:
            return False
        if self.regimen and infant.regimen_key != self.regimen:
            return False
        if self.diagnosed_from and (
            infant.diagnosis_date is None or infant.diagnosis_date < self.diagnosed_from
        ):
            return False
        return not (
            self.diagnosed_to
            and (infant.diagnosis_date is None or infant.diagnosis_date > self.diagnosed_to)
        )

    def describe(self) -> str:
        parts = []
        if self.diagnosis_age_min_months is not None or self.diagnosis_age_max_months is not None:
            low = self.diagnosis_age_min_months
            high = self.diagnosis_age_max_months
            parts.append(
                "diagnosed at "
                + (f">= {low:g}" if low is not None else "")
                + (" and " if low is not None and high is not None else "")
                + (f"< {high:g}" if high is not None else "")
                + " months"
            )
        if self.sex:
            parts.append({"male": "boys", "female": "girls"}.get(self.sex, self.sex))
        if self.signs:
            parts.append("presenting with " + " and ".join(s.replace("_", " ") for s in self.signs))
        if self.mri_severity:
            parts.append(f"first MRI {self.mri_severity}")
        if self.regimen:
            parts.append(f"regimen {self.regimen}")
        if self.diagnosed_from or self.diagnosed_to:
            parts.append(
                "diagnosed "
                + (f"from {self.diagnosed_from:%Y-%m-%d} " if self.diagnosed_from else "")
                + (f"to {self.diagnosed_to:%Y-%m-%d}" if self.diagnosed_to else "")
            )
        return ("Infants " + "; ".join(p.strip() for p in parts) + ".") if parts else ""


def group_of(infant: CohortInfant, stratify: str) -> str:
    if stratify == "age_at_diagnosis":
        age = infant.diagnosis_age_months
        if age is None:
            return AGE_GROUPS[3]
        return AGE_GROUPS[0] if age < 10 else AGE_GROUPS[1] if age < 13 else AGE_GROUPS[2]
    if stratify == "sex":
        return {"male": "boys", "female": "girls"}.get(infant.sex, "other or unknown")
    if stratify == "mri_severity":
        return infant.mri_severity or "no MRI"
    if stratify == "regimen":
        return infant.regimen_name or "no B12 course"
    return "all infants"


def _group_order(stratify: str, names: Iterable[str]) -> list[str]:
    names = set(names)
    fixed = {"age_at_diagnosis": AGE_GROUPS, "mri_severity": MRI_GROUPS}.get(stratify)
    if fixed:
        return [g for g in fixed if g in names] + sorted(names - set(fixed))
    return sorted(names)


def _grouped(
    infants: Sequence[CohortInfant], stratify: str
) -> list[tuple[str, list[CohortInfant]]]:
    groups: dict[str, list[CohortInfant]] = defaultdict(list)
    for infant in infants:
        groups[group_of(infant, stratify)].append(infant)
    return [(name, groups[name]) for name in _group_order(stratify, groups)]


def _months_between(start: datetime.date, end: datetime.date) -> float:
    return (end - start).days / WHO_DAYS_PER_MONTH


# --- Time to event ---------------------------------------------------------------------------------


def _outcome(
    key: str,
    label: str,
    grouped: list[tuple[str, list[CohortInfant]]],
    subject_of: Callable[[CohortInfant], Subject | str],
) -> Outcome:
    """Apply ``subject_of`` (a Subject, or the reason the infant is left out) to every group."""
    excluded: dict[str, int] = defaultdict(int)
    groups = []
    for name, members in grouped:
        subjects = []
        for infant in members:
            result = subject_of(infant)
            if isinstance(result, Subject):
                subjects.append(result)
            else:
                excluded[result] += 1
        groups.append(GroupSubjects(group=name, subjects=tuple(subjects)))
    return Outcome(key=key, label=label, groups=tuple(groups), excluded=tuple(excluded.items()))


def milestone_subject(infant: CohortInfant, code: str) -> Subject | str:
    if infant.first_dose_on is None:
        return "no B12 dose recorded"
    reached = dict(infant.milestones).get(code)
    if reached is not None and reached <= infant.first_dose_on:
        return "reached before the first dose"
    if reached is not None:
        return Subject(_months_between(infant.first_dose_on, reached), True)
    if infant.last_contact_on <= infant.first_dose_on:
        return "no follow-up after the first dose"
    return Subject(_months_between(infant.first_dose_on, infant.last_contact_on), False)


def _is_normal(lab: LabRecord) -> bool:
    if lab.comparator in ("<", "<="):
        return False
    if lab.analyte == "b12":
        return lab.canonical_value >= B12_NORMAL_FROM_PMOL_L
    return lab.canonical_value >= HAEMOGLOBIN_NORMAL_FROM_G_DL


def lab_subject(infant: CohortInfant, analyte: str) -> Subject | str:
    if infant.first_dose_on is None:
        return "no B12 dose recorded"
    after = sorted(
        (
            lab
            for lab in infant.labs
            if lab.analyte == analyte and lab.collected_on > infant.first_dose_on
        ),
        key=lambda lab: lab.collected_on,
    )
    if not after:
        return "no result after the first dose"
    for lab in after:
        if _is_normal(lab):
            return Subject(_months_between(infant.first_dose_on, lab.collected_on), True)
    return Subject(_months_between(infant.first_dose_on, after[-1].collected_on), False)


def retention_subject(infant: CohortInfant) -> Subject | str:
    origin = infant.diagnosis_date or infant.first_dose_on
    if origin is None:
        return "no diagnosis date"
    if infant.last_contact_on < origin:
        return "no contact after diagnosis"
    return Subject(
        _months_between(origin, infant.last_contact_on), infant.follow_up_status == "lost"
    )


def milestone_chart_data(
    infants: Sequence[CohortInfant], filters: CohortFilters
) -> SurvivalChartData:
    chosen = [i for i in infants if filters.matches(i)]
    grouped = _grouped(chosen, filters.stratify)
    recorded: dict[str, int] = defaultdict(int)
    for infant in chosen:
        for code, _ in infant.milestones:
            recorded[code] += 1
    # A milestone recorded for fewer than five infants is not analysed: its curve would be all
    # censoring (the rest simply have no record of it), and its few events a small cell.
    outcomes = tuple(
        _outcome(code, label, grouped, lambda i, code=code: milestone_subject(i, code))
        for code, label in MILESTONE_ORDER
        if recorded[code] >= MINIMUM_CELL
    )
    return SurvivalChartData(
        title="Time to each milestone after the first B12 dose",
        outcomes=outcomes,
        cumulative=True,
        y_label="Proportion who reached it",
        stratified_by=STRATIFICATIONS[filters.stratify],
        filters_text=filters.describe(),
        definitions=(
            "Censored (+) at the last contact when not reached; infants who reached a milestone "
            "before the first dose are left out of that panel; milestones recorded for fewer than "
            "5 infants are not shown."
        ),
    )


def lab_chart_data(infants: Sequence[CohortInfant], filters: CohortFilters) -> SurvivalChartData:
    chosen = [i for i in infants if filters.matches(i)]
    grouped = _grouped(chosen, filters.stratify)
    outcomes = (
        _outcome("b12", "B12 at least 180 pmol/L", grouped, lambda i: lab_subject(i, "b12")),
        _outcome(
            "haemoglobin",
            "Haemoglobin at least 10.5 g/dL",
            grouped,
            lambda i: lab_subject(i, "haemoglobin"),
        ),
    )
    return SurvivalChartData(
        title="Time to lab normalisation after the first B12 dose",
        outcomes=outcomes,
        cumulative=True,
        y_label="Proportion normalised",
        stratified_by=STRATIFICATIONS[filters.stratify],
        filters_text=filters.describe(),
        definitions=(
            "Normal: B12 >= 180 pmol/L (243.9 pg/mL), haemoglobin >= 10.5 g/dL; censored (+) at "
            "the last result after the first dose."
        ),
    )


def retention_chart_data(
    infants: Sequence[CohortInfant], filters: CohortFilters
) -> SurvivalChartData:
    chosen = [i for i in infants if filters.matches(i)]
    grouped = _grouped(chosen, filters.stratify)
    return SurvivalChartData(
        title="Retention in follow-up",
        outcomes=(_outcome("retention", "Still in follow-up", grouped, retention_subject),),
        cumulative=False,
        y_label="Proportion still followed",
        x_label="Months since diagnosis",
        stratified_by=STRATIFICATIONS[filters.stratify],
        filters_text=filters.describe(),
        definitions=(
            "Event: lost to follow-up, at the last contact; active, completed and transferred "
            "infants are censored (+) at the last contact."
        ),
    )


# --- Bars -------------------------------------------------------------------------------------------


def denver_at_three(infant: CohortInfant) -> DenverRecord | None:
    candidates = [
        record
        for record in infant.denver
        if 30 <= months_from_days((record.assessed_on - infant.birth_date).days) <= 48
    ]
    return min(
        candidates,
        key=lambda r: abs(months_from_days((r.assessed_on - infant.birth_date).days) - 36),
        default=None,
    )


def denver_chart_data(infants: Sequence[CohortInfant], filters: CohortFilters) -> BarChartData:
    chosen = [i for i in infants if filters.matches(i)]
    results_bars = []
    sector_bars = []
    for name, members in _grouped(chosen, filters.stratify):
        records = [r for r in (denver_at_three(i) for i in members) if r is not None]
        counts: dict[str, int] = defaultdict(int)
        for record in records:
            if record.test_result:
                counts[record.test_result] += 1
            elif record.delayed_sectors:
                counts[DENVER_CATEGORIES[3]] += 1
            else:
                counts[DENVER_CATEGORIES[4]] += 1
        if not records:
            continue
        results_bars.append(
            GroupCounts(
                group=name,
                infants=len(records),
                counts=tuple((c, counts.get(c, 0)) for c in DENVER_CATEGORIES),
            )
        )
        for code, label in SECTORS:
            delayed = sum(1 for r in records if code in r.delayed_sectors)
            sector_bars.append(
                GroupCounts(
                    group=f"{name}: {label}",
                    infants=len(records),
                    counts=(("delayed", delayed), ("not delayed", len(records) - delayed)),
                )
            )
    return BarChartData(
        title="Denver II at three years",
        panels=(
            BarPanel("result", "Test result", DENVER_CATEGORIES, tuple(results_bars)),
            BarPanel("sectors", "Delay by sector", ("delayed", "not delayed"), tuple(sector_bars)),
        ),
        unit="infants",
        stratified_by=STRATIFICATIONS[filters.stratify],
        filters_text=filters.describe(),
        definitions=(
            "The assessment nearest 36 months (30-48 months of age); reports by sector count "
            "as reported. Infants without one are not shown."
        ),
        colours=(
            ("normal", "#009E73"),
            ("suspect", "#D55E00"),
            ("untestable", "#E69F00"),
            (DENVER_CATEGORIES[3], "#CC79A7"),
            (DENVER_CATEGORIES[4], "#56B4E9"),
            ("delayed", "#D55E00"),
            ("not delayed", "#009E73"),
        ),
    )


def grace_days(due_dates: Sequence[datetime.date]) -> int:
    """A quarter of the phase's typical dose interval, rounded down (see the module docstring)."""
    ordered = sorted(set(due_dates))
    gaps = [(b - a).days for a, b in itertools.pairwise(ordered)]
    return int(statistics.median(gaps)) // 4 if gaps else 0


def dose_timeliness(
    doses: Sequence[DoseRecord], *, today: datetime.date
) -> list[tuple[DoseRecord, str]]:
    """Each counted dose with ``on time``, ``late`` or ``missed``; doses within grace are left out."""
    by_phase: dict[tuple[int, int], list[DoseRecord]] = defaultdict(list)
    for dose in doses:
        by_phase[(dose.course, dose.phase_number)].append(dose)
    judged = []
    for phase_doses in by_phase.values():
        grace = datetime.timedelta(days=grace_days([d.due_on for d in phase_doses]))
        for dose in phase_doses:
            if dose.due_on > today:
                continue
            if dose.given_on is not None:
                judged.append((dose, "on time" if dose.given_on <= dose.due_on + grace else "late"))
            elif dose.missed or dose.due_on + grace < today:
                judged.append((dose, "missed"))
    return judged


def adherence_chart_data(
    infants: Sequence[CohortInfant], filters: CohortFilters, *, today: datetime.date
) -> BarChartData:
    chosen = [i for i in infants if filters.matches(i)]
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    contributors: dict[tuple[str, str], int] = defaultdict(int)
    phase_rank: dict[str, int] = {}
    groups_seen = []
    for name, members in _grouped(chosen, filters.stratify):
        groups_seen.append(name)
        for infant in members:
            phases_of_infant = set()
            for dose, verdict in dose_timeliness(infant.doses, today=today):
                counts[(dose.phase_name, name)][verdict] += 1
                phases_of_infant.add(dose.phase_name)
                phase_rank[dose.phase_name] = min(
                    phase_rank.get(dose.phase_name, dose.phase_number), dose.phase_number
                )
            for phase in phases_of_infant:
                contributors[(phase, name)] += 1
    panels = []
    for phase in sorted(phase_rank, key=lambda p: (phase_rank[p], p)):
        bars = tuple(
            GroupCounts(
                group=name,
                infants=contributors[(phase, name)],
                counts=tuple((c, counts[(phase, name)].get(c, 0)) for c in ADHERENCE_CATEGORIES),
            )
            for name in groups_seen
            if contributors[(phase, name)]
        )
        panels.append(BarPanel(f"phase-{phase}", f"Phase: {phase}", ADHERENCE_CATEGORIES, bars))
    return BarChartData(
        title="Doses on time, by treatment phase",
        panels=tuple(panels),
        unit="doses",
        stratified_by=STRATIFICATIONS[filters.stratify],
        filters_text=filters.describe(),
        definitions=(
            "On time: given by the due day plus a quarter of the phase's dose interval (0 days "
            "for daily and alternate-day phases, 7 for monthly); doses still within that grace "
            "are not counted."
        ),
        colours=(("on time", "#009E73"), ("late", "#E69F00"), ("missed", "#D55E00")),
    )
