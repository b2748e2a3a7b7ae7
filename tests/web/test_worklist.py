"""The worklist's doses due today and open alerts: which rows, in which order, and how many.

The page of each section is chosen by an index-friendly query (`patients.web.staff`), so these
pin down what it shows against a few rows whose order differs from the order they were created in.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from patients import models as m
from patients.models.people import FollowUpStatus
from patients.models.treatment import PlannedDoseStatus
from patients.web import staff as staff_pages
from tests.conftest import f

pytestmark = pytest.mark.django_db

#: 22:30 UTC on 10 March is already 11 March in Istanbul, the clinics' time zone.
NOW = datetime.datetime(2026, 3, 10, 22, 30, tzinfo=datetime.UTC)
CLINIC_TODAY = datetime.date(2026, 3, 11)


def _course(infant: m.Infant, **fields) -> m.TreatmentCourse:
    return m.TreatmentCourse.objects.create(
        infant=infant,
        drug="hydroxocobalamin",
        route="intramuscular",
        dose=Decimal("1"),
        dose_unit="mg",
        started_on=datetime.date(2026, 3, 1),
        **fields,
    )


def _dose(course: m.TreatmentCourse, number: int, due_on: datetime.date, **fields) -> m.PlannedDose:
    return m.PlannedDose.objects.create(
        course=course,
        number=number,
        phase_number=1,
        phase_name="daily",
        number_in_phase=number,
        due_on=due_on,
        dose=Decimal("1"),
        dose_unit="mg",
        route="intramuscular",
        **fields,
    )


def _infant(clinic: m.Clinic, family_name: str, given_name: str, **fields) -> m.Infant:
    return f.InfantFactory(clinic=clinic, family_name=family_name, given_name=given_name, **fields)


@pytest.fixture
def due_today(clinic, other_clinic):
    """Doses due today in the clinic, created out of name order, and rows that must not show."""
    ada = _course(_infant(clinic, "Yilmaz", "Ada"))
    can = _course(_infant(clinic, "Aksoy", "Can"))
    bora = _course(_infant(clinic, "Aksoy", "Bora"))
    ece = _course(_infant(clinic, "Demir", "Ece"))
    shown = [
        _dose(bora, 3, CLINIC_TODAY),
        _dose(ada, 1, CLINIC_TODAY),
        _dose(ece, 1, CLINIC_TODAY),
        _dose(can, 1, CLINIC_TODAY),
        _dose(bora, 2, CLINIC_TODAY),
    ]
    # Not due today on the clinic's calendar, though it is today's date in UTC.
    _dose(ece, 2, NOW.date())
    _dose(can, 2, CLINIC_TODAY, status=PlannedDoseStatus.GIVEN)
    _dose(can, 3, CLINIC_TODAY, voided_at=NOW, void_reason="Entered twice.")
    voided_course = _course(_infant(clinic, "Aaron", "Voided course"))
    m.TreatmentCourse.objects.filter(pk=voided_course.pk).update(
        voided_at=NOW, void_reason="Wrong infant."
    )
    _dose(voided_course, 1, CLINIC_TODAY)
    transferred = _infant(clinic, "Abay", "Moved", follow_up_status=FollowUpStatus.TRANSFERRED)
    _dose(_course(transferred), 1, CLINIC_TODAY)
    _dose(_course(_infant(other_clinic, "Acar", "Elsewhere")), 1, CLINIC_TODAY)
    # By the infant's name, then the dose's number.
    return [shown[4], shown[0], shown[3], shown[2], shown[1]]


def _worklist(client, user):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/worklist/")
    assert response.status_code == 200
    return response.context


def test_doses_due_today_are_the_clinic_s_in_name_order(client, staff, due_today):
    section = _worklist(client, staff)["due_today"]
    assert section.rows == due_today
    assert (section.total, section.capped) == (5, False)


def test_the_first_doses_due_today_are_the_first_by_name_and_the_rest_are_counted(
    client, staff, due_today, monkeypatch
):
    monkeypatch.setattr(staff_pages, "WORKLIST_ROWS", 3)
    section = _worklist(client, staff)["due_today"]
    assert section.rows == due_today[:3]
    assert (section.total, section.more, section.capped) == (5, 2, False)

    monkeypatch.setattr(staff_pages, "COUNT_UP_TO", 4)
    section = _worklist(client, staff)["due_today"]
    assert section.rows == due_today[:3]
    assert (section.total, section.capped) == (4, True)


def test_doses_due_today_of_another_clinic_are_not_shown(client, other_staff, due_today):
    section = _worklist(client, other_staff)["due_today"]
    assert [dose.course.infant.family_name for dose in section.rows] == ["Acar"]


def _alert(infant: m.Infant, code: str, severity: str, raised_at, **fields) -> m.Alert:
    return m.Alert.objects.create(
        infant=infant,
        code=code,
        severity=severity,
        message=code,
        source="test",
        rules_version="test-1",
        raised_at=raised_at,
        **fields,
    )


@pytest.fixture
def open_alerts(clinic, other_clinic):
    """Open alerts of the clinic, created out of order, and alerts that must not show."""
    infant = _infant(clinic, "Kaya", "Ela")
    hour = datetime.timedelta(hours=1)
    at = NOW - 10 * hour
    info = _alert(infant, "info_new", "info", at + 5 * hour)
    urgent_old = _alert(infant, "urgent_old", "urgent", at)
    warning = _alert(infant, "warning", "warning", at + 3 * hour)
    urgent_new = _alert(_infant(clinic, "Oz", "Efe"), "urgent_new", "urgent", at + 2 * hour)
    _alert(infant, "resolved", "urgent", at + 9 * hour, resolved_at=NOW)
    _alert(_infant(other_clinic, "Uzun", "Elsewhere"), "elsewhere", "urgent", at + 9 * hour)
    voided = _infant(clinic, "Tas", "Voided")
    m.Infant.objects.filter(pk=voided.pk).update(voided_at=timezone.now(), void_reason="Test.")
    _alert(voided, "voided_infant", "urgent", at + 9 * hour)
    # Urgent first, then warnings, then information; newest first within a severity.
    return [urgent_new, urgent_old, warning, info]


def test_open_alerts_are_the_clinic_s_most_severe_first_then_newest(
    client, staff, open_alerts, monkeypatch
):
    assert _worklist(client, staff)["alerts"].rows == open_alerts

    monkeypatch.setattr(staff_pages, "WORKLIST_ROWS", 2)
    section = _worklist(client, staff)["alerts"]
    assert section.rows == open_alerts[:2]
    assert (section.total, section.more) == (4, 2)
