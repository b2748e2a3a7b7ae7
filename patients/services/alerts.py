"""Alerts: the safety rules and the overdue items of the monitoring plan, kept in step with the record.

Sources: the rules are the clinical core's, from CLINICAL.md section 4: ``patients.clinical.safety``
(folic acid before B12, seeds 003 and 004; potassium within 48 hours in a severely anaemic infant,
hydroxocobalamin label and seed 003; tremor or myoclonus after the first dose, seed 000 and
Klin Padiatr 2023) and ``patients.clinical.monitoring`` (the monitoring table of the same section).
This module gathers their inputs from the record, and stores what they say.

An alert is identified by its code: one open alert per infant and code (a database constraint).
A refresh creates the alerts that are new, rewrites the text of open ones whose facts changed
(history keeps the old text), and resolves those whose rule no longer fires. Nothing is deleted,
so the record shows what was raised, when, and who acknowledged it.

Times. Rules count hours from the first B12 dose, but the record often has only dates: a dose
recorded through the usual path has ``given_on`` without ``given_at``, and a lab result may lack
``collected_time`` (clinic local time). A missing time is read as the whole clinic day:

- the first dose is taken at the start of its day (00:00 clinic time) for the deadline and the
  day counts, so the 48-hour deadline shown to staff is never later than the true one;
- a potassium result counts only when it certainly falls within 48 hours after the first dose,
  whatever the missing times were. A same-day potassium of unknown order may be the baseline
  drawn before the dose, which cannot show the fall (hydroxocobalamin label), so it does not
  silence the alert.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from patients import models as m
from patients.clinical import monitoring, safety
from patients.clinical.ages import DENVER_II_CORRECTION, days_born_early
from patients.clinical.labs import DEFAULT_CATALOGUE, LabValue
from patients.models.imaging import BodySite, Modality
from patients.models.interpretation import AlertSeverity
from patients.models.labs import Analyte
from patients.models.people import FollowUpStatus
from patients.models.treatment import PlannedDoseStatus
from patients.services.records import record_history

logger = logging.getLogger(__name__)

#: Stored on every alert. Raise it when this module or the core rules it runs change meaning, so
#: an alert always says which rules produced it.
RULES_VERSION = "safety-1+monitoring-1"

MONITORING_OVERDUE = "monitoring_overdue"

#: Infants refreshed together in one transaction by the periodic pass and after a batch of
#: courses: their rows stay locked while it runs, a fraction of a second for a hundred.
REFRESH_CHUNK = 100

# One fact, one alert: when a safety rule already speaks about a monitoring item, the overdue
# item is not raised a second time beside it.
_COVERED_BY_SAFETY: dict[str, frozenset[str]] = {
    "potassium_48h": frozenset({"potassium_due", "potassium_missed"}),
}

_SEVERITY_ORDER = (safety.Severity.INFO, safety.Severity.WARNING, safety.Severity.URGENT)
_SOURCE_LENGTH = m.Alert._meta.get_field("source").max_length


@dataclass(frozen=True)
class _Span:
    """When something happened: an exact moment, or a whole clinic day when no time was recorded.

    ``end`` is exclusive for a day (the next midnight) and equal to ``start`` for a moment.
    """

    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def recorded(cls, day: datetime.date, time: datetime.time | None, zone: ZoneInfo) -> _Span:
        if time is not None:
            moment = datetime.datetime.combine(day, time, tzinfo=zone)
            return cls(moment, moment)
        return cls.day(day, zone)

    @classmethod
    def day(cls, day: datetime.date, zone: ZoneInfo) -> _Span:
        return cls(
            datetime.datetime.combine(day, datetime.time(), tzinfo=zone),
            datetime.datetime.combine(
                day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
            ),
        )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def refresh_alerts(infant: m.Infant, *, now: datetime.datetime) -> list[m.Alert]:
    """Evaluate every rule for the infant at ``now`` (aware) and bring the stored alerts in step.

    Returns the infant's open alerts after the refresh, most severe first. A voided infant's
    record raises nothing, so its open alerts are resolved.
    """
    refreshed = refresh_alerts_of([infant.pk], now=now)
    if infant.pk not in refreshed:
        raise m.Infant.DoesNotExist(f"No infant {infant.pk}.")
    return refreshed[infant.pk]


@transaction.atomic
def refresh_alerts_of(
    infant_ids: Iterable[uuid.UUID], *, now: datetime.datetime
) -> dict[uuid.UUID, list[m.Alert]]:
    """`refresh_alerts` for many infants in one transaction, reading each table once: infant id
    to its open alerts. The rules are the same for each infant; what changes is that the record
    is read for all of them together (`_records_of`), about ten queries whatever their number,
    where one infant at a time cost ten queries each (docs/BENCHMARKS.md, planning)."""
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    # Holding the infant rows serialises concurrent refreshes of one infant, which would otherwise
    # both create the same new alert and trip the one-open-alert-per-rule constraint. Taken in id
    # order, so two refreshes of overlapping sets of infants cannot deadlock.
    infants = list(
        m.Infant.objects.select_related("clinic")
        .select_for_update(of=("self",))
        .filter(pk__in=set(infant_ids))
        .order_by("pk")
    )
    records = _records_of([infant.pk for infant in infants if not infant.is_voided])
    open_alerts: dict[uuid.UUID, dict[str, m.Alert]] = defaultdict(dict)
    for alert in m.Alert.objects.filter(
        infant_id__in=[infant.pk for infant in infants], resolved_at__isnull=True
    ):
        open_alerts[alert.infant_id][alert.code] = alert
    refreshed = {}
    for infant in infants:
        zone = infant.clinic.zone
        # The rules read "today" from now's date, which is the clinic's date, not UTC's.
        wanted = (
            {}
            if infant.is_voided
            else _evaluate(infant, records[infant.pk], now=now.astimezone(zone), zone=zone)
        )
        refreshed[infant.pk] = _store(infant, wanted, open_alerts[infant.pk], now=now)
    return refreshed


def _store(
    infant: m.Infant,
    wanted: dict[str, safety.Alert],
    open_alerts: dict[str, m.Alert],
    *,
    now: datetime.datetime,
) -> list[m.Alert]:
    """Bring one infant's stored alerts in step with what the rules say now."""
    current = []
    for code, alert in wanted.items():
        row = open_alerts.pop(code, None)
        if row is None:
            row = m.Alert(infant=infant, code=code, raised_at=now, rules_version=RULES_VERSION)
            _copy(alert, row)
            row.full_clean()
            row.save()
        elif _copy(alert, row):
            row.rules_version = RULES_VERSION
            row._change_reason = "re-evaluated: the facts changed"
            row.save(update_fields=["severity", "message", "evidence", "source", "rules_version"])
        current.append(row)
    for row in open_alerts.values():
        row.resolved_at = now
        row._change_reason = "resolved: the rule no longer applies"
        row.save(update_fields=["resolved_at"])
    return sorted(current, key=_most_severe_first)


@transaction.atomic
def refresh_alerts_after_commit(infant: m.Infant) -> None:
    """Re-evaluate the infant's alerts once the current write is committed.

    Called by the services that change what the rules read (labs, courses, doses), so a staff
    member sees the alert on the next page load; a periodic job catches rules that fire by the
    passing of time alone (48 hours without potassium, an overdue follow-up).
    """
    infant_id = infant.pk

    def refresh() -> None:
        current = m.Infant.objects.filter(pk=infant_id).select_related("clinic").first()
        if current is not None:
            refresh_alerts(current, now=timezone.now())

    transaction.on_commit(refresh)


def refresh_alerts_for_followed_infants(
    *, now: datetime.datetime | None = None, chunk: int = REFRESH_CHUNK
) -> int:
    """The periodic pass: every infant in active follow-up, `chunk` infants to a transaction;
    returns how many."""
    now = now or timezone.now()
    count = 0
    infant_ids = (
        m.Infant.objects.active()
        .filter(follow_up_status="active")
        .values_list("pk", flat=True)
        .iterator(chunk_size=chunk)
    )
    ids: list[uuid.UUID] = []
    for infant_id in infant_ids:
        ids.append(infant_id)
        if len(ids) == chunk:
            count += len(refresh_alerts_of(ids, now=now))
            ids = []
    if ids:
        count += len(refresh_alerts_of(ids, now=now))
    return count


def acknowledge_alert(alert: m.Alert, *, actor: m.User, now: datetime.datetime) -> m.Alert:
    """Record that a member of staff has seen the alert.

    The conditional update keeps the first acknowledgement when two arrive together or a second
    one follows. A resolved alert may still be acknowledged (staff saw it late); it stays resolved.
    """
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware")
    claimed = m.Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor
    )
    alert.refresh_from_db()
    if claimed:
        record_history(alert, actor=actor, when=now, reason="acknowledged")
    return alert


def open_alerts_for(infant: m.Infant) -> QuerySet[m.Alert]:
    """The infant's unresolved alerts, urgent first, newest first within a severity."""
    rank = Case(
        When(severity=AlertSeverity.URGENT, then=Value(0)),
        When(severity=AlertSeverity.WARNING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        m.Alert.objects.filter(infant=infant, resolved_at__isnull=True)
        .select_related("acknowledged_by")
        .alias(rank=rank)
        .order_by("rank", "-raised_at")
    )


# --------------------------------------------------------------------------------------------
# Evaluation: the record read into the core's plain values
# --------------------------------------------------------------------------------------------


class _Lab(NamedTuple):
    pk: uuid.UUID
    analyte: str
    collected_on: datetime.date
    collected_time: datetime.time | None
    value: Decimal | None
    unit: str
    comparator: str


@dataclass
class _Record:
    """What the rules read of one infant's record, as plain values."""

    courses: list[tuple[str, datetime.date]] = field(default_factory=list)
    #: The first B12 dose given (its day and moment, when recorded), else None.
    first_given: tuple[datetime.date, datetime.datetime | None] | None = None
    #: The day of the first B12 dose planned or given, for an infant with none given yet.
    first_planned_on: datetime.date | None = None
    #: Every active lab result, newest first (the model's order).
    labs: list[_Lab] = field(default_factory=list)
    movements: list[tuple[str, datetime.date, datetime.date | None]] = field(default_factory=list)
    mri_dates: list[datetime.date] = field(default_factory=list)
    denver_dates: list[datetime.date] = field(default_factory=list)
    growth_dates: list[datetime.date] = field(default_factory=list)

    def first_b12_dose(self, zone: ZoneInfo) -> _Span | None:
        """The first B12 dose given, or else the first one planned (its day, as a span)."""
        if self.first_given is not None:
            given_on, given_at = self.first_given
            if given_at is not None:
                moment = given_at.astimezone(zone)
                return _Span(moment, moment)
            return _Span.day(given_on, zone)
        return None if self.first_planned_on is None else _Span.day(self.first_planned_on, zone)


def _records_of(infant_ids: list[uuid.UUID]) -> dict[uuid.UUID, _Record]:
    """The record the rules read, for many infants in one query per table. Each query keeps its
    model's order (or the order the rule needs), so every infant's rows come in the order a query
    of that infant alone would give them."""
    records = {pk: _Record() for pk in infant_ids}
    if not infant_ids:
        return records
    for infant_id, drug, started_on in (
        m.TreatmentCourse.objects.active()
        .filter(infant_id__in=infant_ids)
        .values_list("infant_id", "drug", "started_on")
    ):
        records[infant_id].courses.append((drug, started_on))
    # The first B12 dose of each infant, given and planned, as subqueries of the infant rows:
    # reading every dose of a thousand infants to keep one each would read a year of injections.
    given = (
        m.DoseAdministration.objects.active()
        .filter(
            course__infant=OuterRef("pk"),
            course__voided_at__isnull=True,
            course__drug__in=safety.B12_DRUGS,
        )
        .order_by("given_on", F("given_at").asc(nulls_first=True))
    )
    planned = (
        m.PlannedDose.objects.active()
        .filter(
            course__infant=OuterRef("pk"),
            course__voided_at__isnull=True,
            course__drug__in=safety.B12_DRUGS,
            status__in=(PlannedDoseStatus.PLANNED, PlannedDoseStatus.GIVEN),
        )
        .order_by("due_on")
    )
    for infant_id, given_on, given_at, planned_on in (
        m.Infant.objects.filter(pk__in=infant_ids)
        .annotate(
            given_on=Subquery(given.values("given_on")[:1]),
            given_at=Subquery(given.values("given_at")[:1]),
            planned_on=Subquery(planned.values("due_on")[:1]),
        )
        .values_list("pk", "given_on", "given_at", "planned_on")
    ):
        record = records[infant_id]
        record.first_given = None if given_on is None else (given_on, given_at)
        record.first_planned_on = planned_on
    for infant_id, *lab in (
        m.LabResult.objects.active()
        .filter(infant_id__in=infant_ids)
        .values_list(
            "infant_id",
            "pk",
            "analyte",
            "collected_on",
            "collected_time",
            "value",
            "unit",
            "comparator",
        )
    ):
        records[infant_id].labs.append(_Lab(*lab))
    for infant_id, *movement in (
        m.AdverseEvent.objects.active()
        .filter(infant_id__in=infant_ids, event_type__in=safety.MOVEMENT_KINDS)
        .values_list("infant_id", "event_type", "onset_on", "resolved_on")
    ):
        records[infant_id].movements.append(tuple(movement))
    for infant_id, performed_on in (
        m.ImagingStudy.objects.active()
        .filter(infant_id__in=infant_ids, modality=Modality.MRI, body_site=BodySite.BRAIN)
        .order_by("performed_on")
        .values_list("infant_id", "performed_on")
    ):
        records[infant_id].mri_dates.append(performed_on)
    for infant_id, assessed_on in (
        m.DenverAssessment.objects.active()
        .filter(infant_id__in=infant_ids)
        .values_list("infant_id", "assessed_on")
    ):
        records[infant_id].denver_dates.append(assessed_on)
    for infant_id, measured_on in (
        m.GrowthMeasurement.objects.active()
        .filter(infant_id__in=infant_ids)
        .values_list("infant_id", "measured_on")
    ):
        records[infant_id].growth_dates.append(measured_on)
    return records


def _evaluate(
    infant: m.Infant, record: _Record, *, now: datetime.datetime, zone: ZoneInfo
) -> dict[str, safety.Alert]:
    courses = tuple(safety.CourseStart(drug, started_on) for drug, started_on in record.courses)
    first_dose = record.first_b12_dose(zone)
    if first_dose is None:
        # Before any B12 dose only the folic acid rule can speak.
        return _by_code(safety.evaluate_safety(safety.SafetyInputs(courses=courses), now=now))

    deadline = first_dose.start + safety.POTASSIUM_WINDOW
    potassium = tuple(_potassium_within_window(record, first_dose, zone))
    inputs = safety.SafetyInputs(
        courses=courses,
        first_dose_at=first_dose.start,
        haemoglobin=tuple(_haemoglobin_until(record, deadline.date(), zone)),
        potassium_collected_at=potassium,
        movements=tuple(
            safety.MovementEvent(kind, onset_on, resolved_on)
            for kind, onset_on, resolved_on in record.movements
        ),
    )
    alerts = list(safety.evaluate_safety(inputs, now=now))
    # Overdue follow-up is the clinic's task only while it follows the infant.
    if infant.follow_up_status == FollowUpStatus.ACTIVE:
        raised = {a.code for a in alerts}
        alerts += _overdue_monitoring(
            infant, record, first_dose, potassium, zone, now=now, raised=raised
        )
    return _by_code(alerts)


def _potassium_within_window(
    record: _Record, first_dose: _Span, zone: ZoneInfo
) -> Iterable[datetime.datetime]:
    """Potassium collection times that certainly lie within 48 hours after the first dose.

    Certain means: after the latest moment the dose can have been given, and no later than 48
    hours after the earliest (module docstring). Such a time is also inside the window the core
    computes from the start of the dose's span.
    """
    deadline = first_dose.start + safety.POTASSIUM_WINDOW
    first_day, last_day = first_dose.start.date(), deadline.date()
    for lab in record.labs:
        if lab.analyte != Analyte.POTASSIUM or not first_day <= lab.collected_on <= last_day:
            continue
        span = _Span.recorded(lab.collected_on, lab.collected_time, zone)
        if first_dose.end <= span.start and span.end <= deadline:
            yield span.start


def _haemoglobin_until(
    record: _Record, last_day: datetime.date, zone: ZoneInfo
) -> Iterable[safety.TimedLab]:
    """Haemoglobin values up to the end of the potassium window; the core picks the last one
    before the first dose and any in the 48 hours after it.

    A missing time is read as the start of the day, so a blood count from the first dose's day
    is taken as the baseline (the last one before the dose): either way severity is judged on it.
    """
    accepted = {unit.unit for unit in DEFAULT_CATALOGUE.analyte(Analyte.HAEMOGLOBIN).units}
    for lab in record.labs:
        if lab.analyte != Analyte.HAEMOGLOBIN or lab.value is None or lab.collected_on > last_day:
            continue
        if lab.unit not in accepted:
            # The core cannot compare it with the threshold; log rather than fail the refresh,
            # which would also silence every other rule for this infant.
            logger.warning("haemoglobin %s in unreadable unit %r skipped", lab.pk, lab.unit)
            continue
        # The column keeps four decimals; the evidence shows the value as the laboratory gave it.
        value = Decimal(f"{lab.value.normalize():f}")
        yield safety.TimedLab(
            LabValue(Analyte.HAEMOGLOBIN, value, lab.unit, lab.comparator),
            _Span.recorded(lab.collected_on, lab.collected_time, zone).start,
        )


def monitoring_states(infant: m.Infant, *, now: datetime.datetime) -> list[monitoring.ItemState]:
    """Where the infant stands on each item of the monitoring plan at ``now`` (clinic time).

    Empty before any B12 dose is given or planned: the plan counts from the first dose.
    """
    zone = infant.clinic.zone
    record = _records_of([infant.pk])[infant.pk]
    first_dose = record.first_b12_dose(zone)
    if first_dose is None:
        return []
    potassium = tuple(_potassium_within_window(record, first_dose, zone))
    return _monitoring_states(infant, record, first_dose, potassium, zone, now=now.astimezone(zone))


def _overdue_monitoring(
    infant: m.Infant,
    record: _Record,
    first_dose: _Span,
    potassium: tuple[datetime.datetime, ...],
    zone: ZoneInfo,
    *,
    now: datetime.datetime,
    raised: set[str],
) -> list[safety.Alert]:
    """One warning per monitoring item whose window has closed without what it needs."""
    alerts = []
    for state in _monitoring_states(infant, record, first_dose, potassium, zone, now=now):
        item = state.item
        if state.status is not monitoring.ItemStatus.OVERDUE:
            continue
        if raised & _COVERED_BY_SAFETY.get(item.code, frozenset()):
            continue
        alerts.append(_overdue_alert(item, state.missing, first_dose))
    return alerts


def _monitoring_states(
    infant: m.Infant,
    record: _Record,
    first_dose: _Span,
    potassium: tuple[datetime.datetime, ...],
    zone: ZoneInfo,
    *,
    now: datetime.datetime,
) -> list[monitoring.ItemState]:
    mri_dates = record.mri_dates
    plan = monitoring.plan_monitoring(
        first_dose_at=first_dose.start,
        birth_date=infant.birth_date,
        correction_days=_denver_correction_days(infant),
        first_scan_date=mri_dates[0] if mri_dates else None,
    )
    labs = [
        monitoring.RecordedLab(
            lab.analyte, _Span.recorded(lab.collected_on, lab.collected_time, zone).start
        )
        for lab in record.labs
        if lab.analyte != Analyte.POTASSIUM
    ]
    # Potassium under the same reading as the safety rule, so the two never disagree.
    labs += [monitoring.RecordedLab(Analyte.POTASSIUM, at) for at in potassium]
    monitoring_record = monitoring.MonitoringRecord(
        labs=tuple(labs),
        mri_dates=tuple(mri_dates),
        denver_dates=tuple(record.denver_dates),
        growth_dates=tuple(record.growth_dates),
    )
    return list(monitoring.evaluate_plan(plan, monitoring_record, today=now.date(), now=now))


def _denver_correction_days(infant: m.Infant) -> int:
    # The plan applies the age limit itself; the gestation threshold is the Denver II module's.
    gestation = infant.gestational_age_days
    if gestation is None or gestation > DENVER_II_CORRECTION.corrects_up_to_gestation_days:
        return 0
    return days_born_early(gestation)


def _overdue_alert(
    item: monitoring.MonitoringItem, missing: tuple[str, ...], first_dose: _Span
) -> safety.Alert:
    if item.due_by is not None:
        when = f"due by {safety.clock(item.due_by)}"
    elif item.window_end is None:
        when = f"due from {item.window_start.isoformat()}"
    else:
        when = f"due {item.window_start.isoformat()} to {item.window_end.isoformat()}"
    return safety.Alert(
        code=f"{MONITORING_OVERDUE}:{item.code}",
        severity=safety.Severity.WARNING,
        message=f"Overdue: {item.what} ({when}).",
        evidence=(
            f"first dose {first_dose.start.isoformat()}",
            when,
            *(f"no {label} recorded in the window" for label in missing),
        ),
        source=item.source,
    )


# --------------------------------------------------------------------------------------------
# Storing
# --------------------------------------------------------------------------------------------


def _by_code(alerts: Iterable[safety.Alert]) -> dict[str, safety.Alert]:
    """One alert per code, as stored: two tremor episodes make one alert telling both."""
    merged: dict[str, safety.Alert] = {}
    for alert in alerts:
        earlier = merged.get(alert.code)
        if earlier is None:
            merged[alert.code] = alert
            continue
        merged[alert.code] = safety.Alert(
            code=alert.code,
            severity=max(earlier.severity, alert.severity, key=_SEVERITY_ORDER.index),
            message=f"{earlier.message}\n{alert.message}",
            evidence=earlier.evidence + alert.evidence,
            source=earlier.source,
        )
    return merged


def _copy(alert: safety.Alert, row: m.Alert) -> bool:
    """Write the rule's verdict onto the row; True when anything changed."""
    values = {
        "severity": str(alert.severity),
        "message": alert.message,
        "evidence": list(alert.evidence),
        "source": alert.source[:_SOURCE_LENGTH],
    }
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed or row.rules_version != RULES_VERSION


def _most_severe_first(alert: m.Alert) -> tuple[int, float]:
    return (-_SEVERITY_ORDER.index(safety.Severity(alert.severity)), -alert.raised_at.timestamp())


__all__ = [
    "MONITORING_OVERDUE",
    "RULES_VERSION",
    "acknowledge_alert",
    "open_alerts_for",
    "refresh_alerts",
    "refresh_alerts_of",
]
