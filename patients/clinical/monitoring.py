"""Monitoring plan after the first B12 dose, and its progress on a given day.

The plan follows CLINICAL.md section 4. Day numbering follows the labels it cites ("daily from the
fifth to seventh days of therapy"): day 1 is the date of the first dose, as in the taper rules of
CLINICAL.md section 3 ("started on day 1"). (Alerts in ``safety`` speak of elapsed days instead:
"day 3 after the first dose" is the first-dose date plus three days, i.e. day 4 here.)

Windows are dates in the time zone of ``first_dose_at``: pass an aware datetime in the clinic's zone.
Where a source states hours (potassium within 48 hours) the item also carries an exact ``due_by``.

Tolerances that no source gives (how early or late a "1 month" blood test still counts, how long
"the first weeks" of watching last) are in :class:`PlanSettings`, named as clinic configuration.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

__all__ = [
    "DEFAULT_SETTINGS",
    "ItemKind",
    "ItemState",
    "ItemStatus",
    "MonitoringItem",
    "MonitoringPlan",
    "MonitoringRecord",
    "PlanSettings",
    "RecordedLab",
    "Requirement",
    "add_months",
    "evaluate_plan",
    "item_kinds",
    "plan_monitoring",
]

_HYDROXO_LABEL = "hydroxocobalamin label; seed 003"
_CYANO_LABEL = "cyanocobalamin label; seed 003"
_MOVEMENTS = "seed 000; Klin Padiatr 2023 (PMID 37380026)"


class ItemKind(StrEnum):
    LAB = "lab"
    IMAGING = "imaging"
    DEVELOPMENT = "development"
    #: Something to watch for, not something to record as done.
    WATCH = "watch"
    EVERY_VISIT = "every_visit"


class ItemStatus(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    DONE = "done"
    OVERDUE = "overdue"
    #: A watch window that has passed; there is nothing to complete.
    ENDED = "ended"


@dataclass(frozen=True)
class Requirement:
    """One thing an item needs, met by a result for any of ``analytes`` (e.g. either reticulocyte
    count)."""

    label: str
    analytes: frozenset[str]


@dataclass(frozen=True)
class MonitoringItem:
    code: str
    what: str
    kind: ItemKind
    window_start: date
    #: ``None`` for items with no end (growth at every visit).
    window_end: date | None
    source: str
    requires: tuple[Requirement, ...] = ()
    #: Exact deadline where the source gives hours; results must fall in [first dose, due_by].
    due_by: datetime | None = None


@dataclass(frozen=True)
class MonitoringPlan:
    first_dose_at: datetime
    items: tuple[MonitoringItem, ...]

    def item(self, code: str) -> MonitoringItem:
        return next(i for i in self.items if i.code == code)


@dataclass(frozen=True)
class PlanSettings:
    """Clinic configuration for what the sources leave open. None of these numbers is clinical
    evidence; they are defaults a clinic reviews."""

    #: A "1 month" or "3 months" test counts this many days either side of the date.
    lab_visit_tolerance_days: int = 7
    #: A Denver II "at 12 months" counts this many days either side of the age-line date.
    denver_tolerance_days: int = 14
    #: "days 3-5 onward, first weeks": the watch runs from day 3 to this day (4 weeks).
    movement_watch_last_day: int = 28
    #: Corrected age is used until this chronological age (CLINICAL.md sections 4 and 7).
    correct_age_until_months: int = 24
    #: Denver II ages (CLINICAL.md section 4).
    denver_ages_months: tuple[int, ...] = (12, 18, 24, 36)


DEFAULT_SETTINGS = PlanSettings()

_RETICULOCYTES = Requirement("reticulocytes", frozenset({"reticulocytes_pct", "reticulocytes_abs"}))
_HAEMATOCRIT = Requirement("haematocrit", frozenset({"haematocrit"}))
# A blood count is taken as Hb, WBC and platelets: the three cell lines whose fall made up the
# pancytopenia in seed 000. Indices (MCV, haematocrit) come with them but are not required.
_BLOOD_COUNT = (
    Requirement("haemoglobin", frozenset({"haemoglobin"})),
    Requirement("white cell count", frozenset({"wbc"})),
    Requirement("platelets", frozenset({"platelets"})),
)


def _single(code: str, label: str) -> tuple[Requirement, ...]:
    return (Requirement(label, frozenset({code})),)


def add_months(start: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    years, month_index = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month_index + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@functools.cache
def item_kinds(settings: PlanSettings = DEFAULT_SETTINGS) -> dict[str, ItemKind]:
    """Every item code a plan can hold, with its kind: what a stored code (on a booked visit)
    means without recomputing the infant's plan. Read from a plan that contains every item."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    plan = plan_monitoring(
        first_dose_at=start,
        birth_date=start.date(),
        first_scan_date=start.date(),
        settings=settings,
    )
    return {item.code: item.kind for item in plan.items}


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def plan_monitoring(
    *,
    first_dose_at: datetime,
    birth_date: date,
    correction_days: int = 0,
    first_scan_date: date | None = None,
    settings: PlanSettings = DEFAULT_SETTINGS,
) -> MonitoringPlan:
    """The monitoring items of CLINICAL.md section 4, in date order.

    ``correction_days`` is how many days before the due date the infant was born; the caller
    decides whether prematurity correction applies (the Denver II module owns that threshold).
    The repeat MRI is planned only when ``first_scan_date`` is known, and Denver II assessments
    whose window closed before treatment began are left out: they cannot be caught up.
    """
    _require_aware(first_dose_at, "first_dose_at")
    if correction_days < 0:
        raise ValueError("correction_days cannot be negative")
    first_day = first_dose_at.date()
    items = [
        *_first_days(first_dose_at, settings),
        *_visit_labs(first_day, settings),
        *_repeat_mri(first_scan_date),
        *_denver(first_day, birth_date, correction_days, settings),
        MonitoringItem(
            "growth_every_visit",
            "weight, length and head circumference at every visit",
            ItemKind.EVERY_VISIT,
            first_day,
            None,
            "standard practice (CLINICAL.md section 4)",
        ),
    ]
    return MonitoringPlan(first_dose_at, tuple(sorted(items, key=lambda i: i.window_start)))


def _first_days(first_dose_at: datetime, settings: PlanSettings) -> list[MonitoringItem]:
    first_day = first_dose_at.date()

    def day(n: int) -> date:
        return first_day + timedelta(days=n - 1)

    potassium_by = first_dose_at + timedelta(hours=48)
    items = [
        MonitoringItem(
            "potassium_48h",
            "serum potassium within 48 hours of the first dose (hypokalaemia at the height of "
            "the red-cell response)",
            ItemKind.LAB,
            first_day,
            potassium_by.date(),
            _HYDROXO_LABEL,
            _single("potassium", "potassium"),
            due_by=potassium_by,
        ),
        MonitoringItem(
            "movement_watch",
            "watch for tremor or myoclonus (19-32 % of treated infants in small series, from "
            "days 3-5; resolves in days to a few weeks; distinguish from seizures with EEG)",
            ItemKind.WATCH,
            day(3),
            day(settings.movement_watch_last_day),
            _MOVEMENTS,
        ),
    ]
    # "Days 3-10 (peak days 5-7)": daily counts on days 5, 6 and 7, then repeated until the
    # haematocrit is normal - an open end a clinician closes, so the plan offers days 8-10 only.
    items += [
        MonitoringItem(
            f"retic_hct_day{n}",
            f"reticulocytes and haematocrit, day {n} of treatment",
            ItemKind.LAB,
            day(n),
            day(n),
            _CYANO_LABEL,
            (_RETICULOCYTES, _HAEMATOCRIT),
        )
        for n in (5, 6, 7)
    ]
    items.append(
        MonitoringItem(
            "retic_hct_until_normal",
            "reticulocytes and haematocrit, days 8-10, then until the haematocrit is normal "
            "(a clinician decides when to stop)",
            ItemKind.LAB,
            day(8),
            day(10),
            _CYANO_LABEL,
            (_RETICULOCYTES, _HAEMATOCRIT),
        )
    )
    return items


def _visit_labs(first_day: date, settings: PlanSettings) -> list[MonitoringItem]:
    tolerance = timedelta(days=settings.lab_visit_tolerance_days)
    one_month, three_months = add_months(first_day, 1), add_months(first_day, 3)
    seed_000, seed_004 = "seed 000 (patient 1)", "seed 004; NICE NG239 (adults)"
    table: tuple[tuple[str, str, date, tuple[Requirement, ...], str], ...] = (
        ("blood_count_1m", "blood count at 1 month", one_month, _BLOOD_COUNT, seed_000),
        ("b12_1m", "vitamin B12 at 1 month", one_month, _single("b12", "B12"), seed_000),
        ("folate_1m", "folate at 1 month", one_month, _single("folate", "folate"), seed_000),
        ("b12_3m", "vitamin B12 at 3 months", three_months, _single("b12", "B12"), "seed 004"),
        (
            "homocysteine_3m",
            "homocysteine at 3 months (functional marker)",
            three_months,
            _single("homocysteine", "homocysteine"),
            seed_004,
        ),
        (
            "mma_3m",
            "methylmalonic acid at 3 months, serum or urine (functional marker)",
            three_months,
            (Requirement("MMA", frozenset({"mma_serum", "mma_urine"})),),
            seed_004,
        ),
    )
    return [
        MonitoringItem(
            code, what, ItemKind.LAB, target - tolerance, target + tolerance, source, requires
        )
        for code, what, target, requires, source in table
    ]


def _repeat_mri(first_scan_date: date | None) -> list[MonitoringItem]:
    if first_scan_date is None:
        return []
    # Seed 000: atrophy had regressed 8 and 12 months after the first scan.
    return [
        MonitoringItem(
            "mri_repeat",
            "repeat brain MRI 8-12 months after the first scan",
            ItemKind.IMAGING,
            add_months(first_scan_date, 8),
            add_months(first_scan_date, 12),
            "seed 000",
        )
    ]


def _denver(
    first_day: date, birth_date: date, correction_days: int, settings: PlanSettings
) -> list[MonitoringItem]:
    tolerance = timedelta(days=settings.denver_tolerance_days)
    items = []
    for months in settings.denver_ages_months:
        target = _age_line_date(birth_date, correction_days, months, settings)
        if target + tolerance < first_day:
            continue
        corrected = target != add_months(birth_date, months)
        items.append(
            MonitoringItem(
                f"denver_{months}m",
                f"Denver II at {months} months" + (" (corrected age)" if corrected else ""),
                ItemKind.DEVELOPMENT,
                target - tolerance,
                target + tolerance,
                "seed 000 (Denver II at 3 and 3.5 years); CLINICAL.md section 4",
            )
        )
    return items


def _age_line_date(
    birth_date: date, correction_days: int, months: int, settings: PlanSettings
) -> date:
    """Date the infant reaches ``months`` on the Denver age line.

    Corrected age counts from the corrected birth date while the child is younger than
    ``correct_age_until_months`` chronologically; at a target beyond that the correction has
    lapsed, so "24 months" is 24 months of chronological age.
    """
    corrected = add_months(birth_date + timedelta(days=correction_days), months)
    if corrected < add_months(birth_date, settings.correct_age_until_months):
        return corrected
    return add_months(birth_date, months)


@dataclass(frozen=True)
class RecordedLab:
    analyte: str
    collected_at: datetime


@dataclass(frozen=True)
class MonitoringRecord:
    """What has been done, as plain values gathered by the caller."""

    labs: tuple[RecordedLab, ...] = ()
    mri_dates: tuple[date, ...] = ()
    denver_dates: tuple[date, ...] = ()
    growth_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class ItemState:
    item: MonitoringItem
    status: ItemStatus
    #: Collection dates/times that satisfied the item.
    evidence: tuple[date | datetime, ...] = ()
    #: Labels of requirements still unmet (empty once done).
    missing: tuple[str, ...] = ()


def evaluate_plan(
    plan: MonitoringPlan,
    record: MonitoringRecord,
    *,
    today: date,
    now: datetime | None = None,
) -> tuple[ItemState, ...]:
    """Done, due, overdue or upcoming for each item on ``today``.

    A result counts only inside its item's window: a B12 taken on day 10 is not the 1-month B12.
    Lab collection times are read as dates in the time zone of the first dose. For an item with an hour deadline, ``now`` decides whether it is overdue; without
    ``now`` it becomes overdue the day after the deadline, so it is never flagged early.
    """
    if now is not None:
        _require_aware(now, "now")
    for lab in record.labs:
        _require_aware(lab.collected_at, "collected_at")
    return tuple(_evaluate(plan, item, record, today=today, now=now) for item in plan.items)


def _evaluate(
    plan: MonitoringPlan,
    item: MonitoringItem,
    record: MonitoringRecord,
    *,
    today: date,
    now: datetime | None,
) -> ItemState:
    match item.kind:
        case ItemKind.LAB:
            evidence, missing = _lab_evidence(plan, item, record.labs)
        case ItemKind.IMAGING:
            evidence, missing = _dated_evidence(item, record.mri_dates, "MRI")
        case ItemKind.DEVELOPMENT:
            evidence, missing = _dated_evidence(item, record.denver_dates, "Denver II")
        case ItemKind.EVERY_VISIT:
            done_today = today in record.growth_dates
            return ItemState(
                item,
                ItemStatus.DONE if done_today else ItemStatus.DUE,
                (today,) if done_today else (),
                () if done_today else ("growth measurements today",),
            )
        case ItemKind.WATCH:
            return ItemState(item, _window_status(item, today, now, ended=ItemStatus.ENDED))
    if not missing:
        return ItemState(item, ItemStatus.DONE, evidence)
    return ItemState(item, _window_status(item, today, now), evidence, missing)


def _window_status(
    item: MonitoringItem,
    today: date,
    now: datetime | None,
    *,
    ended: ItemStatus = ItemStatus.OVERDUE,
) -> ItemStatus:
    if today < item.window_start:
        return ItemStatus.UPCOMING
    if item.due_by is not None and now is not None:
        return ended if now > item.due_by else ItemStatus.DUE
    if item.window_end is not None and today > item.window_end:
        return ended
    return ItemStatus.DUE


def _lab_evidence(
    plan: MonitoringPlan, item: MonitoringItem, labs: Iterable[RecordedLab]
) -> tuple[tuple[datetime, ...], tuple[str, ...]]:
    in_window = [lab for lab in labs if _lab_in_window(plan, item, lab.collected_at)]
    evidence: list[datetime] = []
    missing: list[str] = []
    for requirement in item.requires:
        times = sorted(lab.collected_at for lab in in_window if lab.analyte in requirement.analytes)
        if times:
            evidence.append(times[0])
        else:
            missing.append(requirement.label)
    return tuple(sorted(set(evidence))), tuple(missing)


def _lab_in_window(plan: MonitoringPlan, item: MonitoringItem, collected_at: datetime) -> bool:
    if item.due_by is not None:
        # Hours matter here: a baseline potassium before the first dose does not show the fall
        # that comes with the red-cell response.
        return plan.first_dose_at <= collected_at <= item.due_by
    local_date = collected_at.astimezone(plan.first_dose_at.tzinfo).date()
    return item.window_start <= local_date and (
        item.window_end is None or local_date <= item.window_end
    )


def _dated_evidence(
    item: MonitoringItem, dates: Iterable[date], label: str
) -> tuple[tuple[date, ...], tuple[str, ...]]:
    hits = tuple(
        sorted(
            d
            for d in dates
            if item.window_start <= d and (item.window_end is None or d <= item.window_end)
        )
    )
    return hits, () if hits else (label,)
