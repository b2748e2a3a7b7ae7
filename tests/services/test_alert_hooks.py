"""Alerts follow the record: the services that change what the rules read re-evaluate them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.services.labs import record_lab_result
from patients.services.treatment import start_course


def test_a_severe_anaemia_result_raises_the_potassium_alert_after_commit(
    infant, staff, django_capture_on_commit_callbacks
):
    first_dose = datetime.date(2024, 12, 2)
    with django_capture_on_commit_callbacks(execute=True):
        start_course(
            infant=infant,
            actor=staff,
            regimen=load_shipped_regimens()["seed-000-patient-2"],
            started_on=first_dose,
            today=first_dose,
        )
    # Without a haemoglobin result the potassium rule has nothing to say yet.
    assert not m.Alert.objects.filter(infant=infant, code__startswith="potassium").exists()

    with django_capture_on_commit_callbacks(execute=True):
        record_lab_result(
            actor=staff,
            infant=infant,
            analyte="haemoglobin",
            value=Decimal("6.7"),
            unit="g/dL",
            collected_on=first_dose - datetime.timedelta(days=1),
            today=first_dose,
        )
    codes = set(
        m.Alert.objects.filter(infant=infant, resolved_at__isnull=True).values_list(
            "code", flat=True
        )
    )
    assert codes & {"potassium_due", "potassium_missed"}


def test_nothing_is_evaluated_when_the_write_is_rolled_back(
    infant, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_lab_result(
            actor=staff,
            infant=infant,
            analyte="haemoglobin",
            value=Decimal("6.7"),
            unit="g/dL",
            collected_on=datetime.date(2024, 12, 1),
            today=datetime.date(2024, 12, 2),
        )
    assert len(callbacks) == 1  # deferred to the commit, never run inside the transaction
    assert not m.Alert.objects.exists()


def test_starting_a_course_schedules_the_alert_and_reminder_refresh(
    infant, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        start_course(
            infant=infant,
            actor=staff,
            regimen=load_shipped_regimens()["seed-000-patient-1"],
            started_on=datetime.date(2024, 12, 2),
            today=datetime.date(2024, 12, 2),
        )
    assert len(callbacks) == 2  # alerts, then reminders, both after the commit
