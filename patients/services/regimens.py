"""The regimen library: the regimens shipped with the tracker and each clinic's own versions.

A regimen is data a clinic edits, never code (CLINICAL.md section 3). Rows are versioned: a
clinic's edit is stored as a new version beside the old one, and a course copies the version it
started from (services.treatment.start_course), so an edit never re-plans a running course.

Who may edit a clinic's regimens is decided by the interface that calls these functions.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet

from patients import models as m
from patients.clinical import regimens as engine
from patients.services.treatment import (
    CourseStart,
    clinic_closures,
    default_horizon,
    start_course,
    start_courses,
)


@transaction.atomic
def sync_shipped_regimens() -> int:
    """Make sure every regimen shipped in ``patients/clinical/data/regimens.json`` has its row.

    Safe to run after every migrate: a (key, version) already present is left exactly as it is,
    because courses and reports may refer to it. A change to a shipped regimen therefore ships as
    a new version in the file. Returns how many rows were created.
    """
    created = 0
    for regimen in engine.load_shipped_regimens().values():
        _, was_created = m.Regimen.objects.get_or_create(
            clinic=None,
            key=regimen.key,
            version=regimen.version,
            defaults={"name": regimen.name, "definition": engine.regimen_to_data(regimen)},
        )
        created += was_created
    return created


def regimens_for(clinic: m.Clinic) -> QuerySet[m.Regimen]:
    """The active regimens a clinic can prescribe: the shipped ones and its own.

    Grouped by key with the latest version first, so a picker that keeps the first row per key
    offers the newest version. When a clinic's version and a shipped one share a number, the
    clinic's own comes first: it is the one the clinic chose.
    """
    return m.Regimen.objects.filter(
        Q(clinic__isnull=True) | Q(clinic=clinic), is_active=True
    ).order_by("key", "-version", F("clinic").asc(nulls_last=True))


@transaction.atomic
def save_clinic_regimen(
    *, clinic: m.Clinic, actor: m.User | None, definition: Mapping[str, Any]
) -> m.Regimen:
    """Store a clinic's regimen, new or edited, as the next version of its key.

    The version is assigned here, one above the highest version of the key among the shipped
    regimens and the clinic's own (a copy of a shipped regimen becomes version 2), whatever the
    submitted definition says; an existing version is never overwritten. The stored definition is
    the checked one written back in full (defaults filled in), as for shipped rows and courses.

    Bad data raises a ValidationError on ``definition`` naming the faulty field, and saves nothing.
    """
    try:
        submitted = engine.parse_regimen(definition, where="definition")
    except engine.RegimenDataError as error:
        raise ValidationError({"definition": str(error)}) from None

    # Two leads saving the same key at once would both pick the same next version; holding the
    # clinic row makes the second wait and number its edit after the first.
    m.Clinic.objects.select_for_update().filter(pk=clinic.pk).get()
    latest = (
        m.Regimen.objects.filter(Q(clinic__isnull=True) | Q(clinic=clinic), key=submitted.key)
        .aggregate(latest=Max("version"))
        .get("latest")
    )
    regimen = dataclasses.replace(submitted, version=(latest or 0) + 1)
    row = m.Regimen(
        clinic=clinic,
        key=regimen.key,
        version=regimen.version,
        name=regimen.name,
        definition=engine.regimen_to_data(regimen),
    )
    row.full_clean()
    row._history_user = actor  # read by django-simple-history when it writes the history row
    row.save()
    return row


def preview_regimen(
    *,
    regimen: m.Regimen,
    clinic: m.Clinic,
    start: datetime.date,
    horizon: datetime.date | None = None,
) -> engine.CoursePlan:
    """Every dose and review point the regimen would plan at this clinic from ``start``.

    Reads the clinic's closing days and writes nothing. Open-ended and lifelong phases are shown
    up to ``horizon``, by default as far ahead as a new course is planned
    (settings.PLANNING_HORIZON_MONTHS).
    """
    _check_available(regimen, clinic)
    try:
        return engine.preview_course(
            _parse(regimen),
            start,
            closures=clinic_closures(clinic),
            horizon=horizon or default_horizon(start, start),
        )
    except engine.PlanningError as error:
        raise ValidationError(str(error)) from None


def start_course_from_regimen(
    *,
    infant: m.Infant,
    actor: m.User | None,
    regimen: m.Regimen,
    started_on: datetime.date,
    indication: str = "",
    today: datetime.date | None = None,
) -> m.TreatmentCourse:
    """Start a course for the infant from a regimen of the library (shipped, or the infant's
    clinic's own); the course keeps a copy of this version."""
    _check_available(regimen, infant.clinic)
    return start_course(
        infant=infant,
        actor=actor,
        regimen=_parse(regimen),
        started_on=started_on,
        indication=indication,
        today=today,
    )


def start_courses_from_regimen(
    *,
    infants: Sequence[m.Infant],
    actor: m.User | None,
    regimen: m.Regimen,
    started_on: datetime.date,
    indication: str = "",
    today: datetime.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[m.TreatmentCourse]:
    """The same regimen started for many infants together (services.treatment.start_courses):
    all or nothing, and only where every infant's clinic may prescribe it."""
    for clinic in {infant.clinic for infant in infants}:
        _check_available(regimen, clinic)
    parsed = _parse(regimen)
    return start_courses(
        [CourseStart(infant, parsed, started_on, indication) for infant in infants],
        actor=actor,
        today=today,
        progress=progress,
    )


def _check_available(regimen: m.Regimen, clinic: m.Clinic) -> None:
    # Another clinic's regimen encodes that clinic's decisions; it is not prescribable here.
    if regimen.clinic_id is not None and regimen.clinic_id != clinic.pk:
        raise ValidationError({"regimen": "This regimen belongs to another clinic."})
    if not regimen.is_active:
        raise ValidationError({"regimen": f"{regimen} is no longer in use."})


def _parse(regimen: m.Regimen) -> engine.Regimen:
    try:
        return engine.parse_regimen(regimen.definition, where="definition")
    except engine.RegimenDataError as error:
        # Rows are checked on save, so this means the row was changed behind the service's back.
        raise ValidationError({"definition": str(error)}) from None
