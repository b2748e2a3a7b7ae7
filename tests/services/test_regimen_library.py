"""The regimen library: shipped regimens, a clinic's versions, previews and starting a course."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.core.exceptions import ValidationError

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens, regimen_to_data
from patients.models.clinics import Weekday
from patients.services.regimens import (
    preview_regimen,
    regimens_for,
    save_clinic_regimen,
    start_course_from_regimen,
    sync_shipped_regimens,
)

MONDAY = datetime.date(2024, 12, 2)  # the infant fixture was born on 1 March 2024
PATIENT_2 = "seed-000-patient-2"


@pytest.fixture
def library(db) -> None:
    sync_shipped_regimens()


def shipped(key: str) -> m.Regimen:
    return m.Regimen.objects.get(clinic=None, key=key, version=1)


def edited(regimen_key: str, **changes) -> dict:
    definition = copy.deepcopy(shipped(regimen_key).definition)
    definition.update(changes)
    return definition


def test_shipped_regimens_are_synced_once(db):
    # A post_migrate handler may already have synced the test database; start from none so the
    # first call has something to create.
    m.Regimen.objects.filter(clinic=None).delete()
    expected = load_shipped_regimens()

    assert sync_shipped_regimens() == len(expected)
    assert sync_shipped_regimens() == 0

    rows = m.Regimen.objects.filter(clinic=None)
    assert {(r.key, r.version) for r in rows} == {(r.key, r.version) for r in expected.values()}
    for row in rows:
        assert row.definition == regimen_to_data(expected[row.key])
        assert row.name == expected[row.key].name


def test_sync_leaves_an_existing_shipped_version_as_it_is(library):
    row = shipped(PATIENT_2)
    m.Regimen.objects.filter(pk=row.pk).update(name="Renamed by hand")

    assert sync_shipped_regimens() == 0
    assert shipped(PATIENT_2).name == "Renamed by hand"


def test_a_clinic_edit_is_stored_as_version_2_and_version_1_is_unchanged(library, clinic, lead):
    original = shipped(PATIENT_2)
    definition = edited(PATIENT_2, name="Patient 2 taper, our clinic")
    definition["phases"][2]["dose"] = "0.5"

    saved = save_clinic_regimen(clinic=clinic, actor=lead, definition=definition)

    assert (saved.clinic, saved.key, saved.version) == (clinic, PATIENT_2, 2)
    assert saved.definition["version"] == 2
    assert saved.definition["phases"][2]["dose"] == "0.5"
    assert saved.history.get().history_user == lead
    original_after = shipped(PATIENT_2)
    assert original_after.definition == original.definition
    assert original_after.definition["phases"][2]["dose"] == "1"


def test_every_edit_is_a_new_version_per_clinic(library, clinic, other_clinic, lead):
    first = save_clinic_regimen(clinic=clinic, actor=lead, definition=edited(PATIENT_2))
    second = save_clinic_regimen(clinic=clinic, actor=lead, definition=edited(PATIENT_2))
    elsewhere = save_clinic_regimen(clinic=other_clinic, actor=None, definition=edited(PATIENT_2))

    assert (first.version, second.version) == (2, 3)
    # Another clinic's edits do not use up this clinic's numbers, and the reverse.
    assert elsewhere.version == 2
    assert m.Regimen.objects.filter(key=PATIENT_2).count() == 4


def test_a_new_key_starts_at_version_1_whatever_the_definition_says(library, clinic, lead):
    definition = edited(PATIENT_2, key="our-short-taper", name="Our short taper", version=7)

    saved = save_clinic_regimen(clinic=clinic, actor=lead, definition=definition)

    assert (saved.key, saved.version, saved.definition["version"]) == ("our-short-taper", 1, 1)


@pytest.mark.parametrize(
    ("change", "names"),
    [
        (lambda d: d["phases"][1]["interval"].update(n=0), "definition.phases[1].interval: n must"),
        (lambda d: d["phases"][0].update(route="intranasal"), "definition.phases[0].route"),
        (lambda d: d["phases"][0].update(dosage="1"), "dosage"),
        (lambda d: d.pop("phases"), "missing phases"),
    ],
    ids=["interval-n-zero", "unknown-route", "misspelt-field", "no-phases"],
)
def test_an_invalid_definition_is_refused_on_definition_and_nothing_is_saved(
    library, clinic, lead, change, names
):
    definition = edited(PATIENT_2)
    change(definition)
    before = m.Regimen.objects.count()

    with pytest.raises(ValidationError) as refused:
        save_clinic_regimen(clinic=clinic, actor=lead, definition=definition)

    assert list(refused.value.message_dict) == ["definition"]
    assert names in refused.value.message_dict["definition"][0]
    assert m.Regimen.objects.count() == before


def test_regimens_for_lists_shipped_and_own_latest_version_first(
    library, clinic, other_clinic, lead
):
    own = save_clinic_regimen(clinic=clinic, actor=lead, definition=edited(PATIENT_2))
    save_clinic_regimen(clinic=other_clinic, actor=None, definition=edited(PATIENT_2, key="theirs"))
    retired = shipped("mother-oral")
    retired.is_active = False
    retired.save()

    listed = list(regimens_for(clinic))

    keys = [r.key for r in listed]
    assert "theirs" not in keys
    assert "mother-oral" not in keys
    assert [(r.clinic, r.version) for r in listed if r.key == PATIENT_2] == [(clinic, 2), (None, 1)]
    assert listed.index(own) < listed.index(shipped(PATIENT_2))
    assert keys == sorted(keys)


def test_preview_honours_a_closing_weekday_and_writes_nothing(
    library, clinic, other_clinic, django_assert_num_queries
):
    m.ClinicWeeklyClosure.objects.create(clinic=clinic, weekday=Weekday.SUNDAY)
    regimen = shipped(PATIENT_2)
    counts = [model.objects.count() for model in (m.Regimen, m.TreatmentCourse, m.PlannedDose)]

    # Two reads and no write: the clinic's closing weekdays, then its holidays.
    with django_assert_num_queries(2):
        plan = preview_regimen(regimen=regimen, clinic=clinic, start=MONDAY)

    assert [model.objects.count() for model in (m.Regimen, m.TreatmentCourse, m.PlannedDose)] == (
        counts
    )
    assert not [d for d in plan.doses if d.date.isoweekday() == Weekday.SUNDAY]
    # Dose 7 (day 7 of the daily week) falls on Sunday 8 December and moves to Monday.
    moved = next(d for d in plan.doses if d.sequence == 7)
    assert (moved.date, moved.original_date) == (
        datetime.date(2024, 12, 9),
        datetime.date(2024, 12, 8),
    )
    # A clinic open on Sundays keeps the regimen's calendar.
    open_all_week = preview_regimen(regimen=regimen, clinic=other_clinic, start=MONDAY)
    assert next(d for d in open_all_week.doses if d.sequence == 7).date == datetime.date(
        2024, 12, 8
    )


def test_preview_plans_an_open_ended_regimen_to_the_horizon(library, clinic):
    plan = preview_regimen(
        regimen=shipped("with-neurological-involvement"),
        clinic=clinic,
        start=MONDAY,
        horizon=datetime.date(2024, 12, 31),
    )

    # Alternate days from Monday 2 December up to the horizon, never beyond it.
    assert [d.date.day for d in plan.doses][-2:] == [28, 30]
    assert plan.review_points


def test_preview_plans_open_ended_phases_as_far_ahead_as_a_new_course_by_default(
    library, clinic, settings
):
    settings.PLANNING_HORIZON_MONTHS = 2

    plan = preview_regimen(
        regimen=shipped("with-neurological-involvement"), clinic=clinic, start=MONDAY
    )

    assert datetime.date(2025, 1, 31) <= plan.doses[-1].date <= datetime.date(2025, 2, 2)


def test_preview_refuses_another_clinics_regimen(library, clinic, other_clinic):
    theirs = save_clinic_regimen(clinic=other_clinic, actor=None, definition=edited(PATIENT_2))

    with pytest.raises(ValidationError, match="another clinic"):
        preview_regimen(regimen=theirs, clinic=clinic, start=MONDAY)


def test_a_course_starts_from_the_clinics_own_version(library, infant, lead):
    own = save_clinic_regimen(clinic=infant.clinic, actor=lead, definition=edited(PATIENT_2))

    course = start_course_from_regimen(
        infant=infant, actor=lead, regimen=own, started_on=MONDAY, today=MONDAY
    )

    assert (course.regimen_key, course.regimen_version) == (PATIENT_2, 2)
    assert course.regimen == own.definition
    assert course.planned_doses.filter(due_on=MONDAY, number=1).exists()


def test_a_course_cannot_start_from_another_clinics_regimen(library, infant, other_clinic, lead):
    theirs = save_clinic_regimen(clinic=other_clinic, actor=None, definition=edited(PATIENT_2))

    with pytest.raises(ValidationError) as refused:
        start_course_from_regimen(
            infant=infant, actor=lead, regimen=theirs, started_on=MONDAY, today=MONDAY
        )

    assert "another clinic" in refused.value.message_dict["regimen"][0]
    assert not m.TreatmentCourse.objects.filter(infant=infant).exists()


def test_a_retired_regimen_cannot_start_a_course(library, infant, lead):
    retired = shipped(PATIENT_2)
    retired.is_active = False
    retired.save()

    with pytest.raises(ValidationError, match="no longer in use"):
        start_course_from_regimen(
            infant=infant, actor=lead, regimen=retired, started_on=MONDAY, today=MONDAY
        )
    assert not m.TreatmentCourse.objects.filter(infant=infant).exists()
