"""The pages read with a number of queries that does not grow with their rows or with a record's
history (QUALITY.md, performance; tests/api/test_query_counts.py does the same for the API).

Each page is counted with N and with 3N rows or history entries, added in bulk through the
services; the counts must be equal. A page's count is made of the session and user, the reader's
roles, one query per section or kind of record, the chart cache's data version per chart, and the
access-log insert; the only cost that grows is the one the product wants: the portal's start page
writes one access-log row per child it shows.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import models as m
from patients.models.reminders import MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.services.calendar_feeds import issue_feed
from patients.services.cohort import generate_cohort
from patients.services.growth import record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record, save_record
from patients.services.regimens import start_course_from_regimen
from patients.web.portal import VISITS_SHOWN
from tests.web.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db

N = 3
_serial = itertools.count(1)


def count_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries), response.content.decode()


def assert_constant(client, url: str, add: Callable[[], None]) -> str:
    """The page's count with N and with 3N more rows; returns the larger page, for the caller to
    check that the rows it added are on it."""
    count_queries(client, url)  # warm the per-process caches (content types, norm tables)
    for _ in range(N):
        add()
    small, _ = count_queries(client, url)
    for _ in range(2 * N):
        add()
    large, page = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with {N} more rows, {large} with {3 * N}"
    return page


def _section(page: str, section_id: str) -> str:
    return page.split(f'id="{section_id}"')[1].split("</section>")[0]


# --- builders ---------------------------------------------------------------------------------


def _day(days: int) -> datetime.date:
    return DEMO_DAY + datetime.timedelta(days=days)


def _new_infant(clinic: m.Clinic) -> m.Infant:
    return create_record(
        m.Infant,
        actor=None,
        clinic=clinic,
        record_number=f"QP{next(_serial):05d}",
        given_name="Ada",
        family_name=f"Kaya{next(_serial)}",
        sex="female",
        birth_date=_day(-300),
        diagnosis_date=_day(-20),
    )


def _message(guardian: m.Guardian, infant: m.Infant, status: str, **fields) -> m.PlannedMessage:
    return m.PlannedMessage.objects.create(
        slot_key=f"page-queries:{next(_serial)}",
        guardian=guardian,
        infant=infant,
        kind="visit_morning_of",
        channel="email",
        due_at=timezone.now() - datetime.timedelta(hours=next(_serial)),
        event_on=DEMO_DAY,
        status=status,
        **fields,
    )


@pytest.fixture
def parent1(demo) -> m.Guardian:
    return m.Guardian.objects.get(user__username="parent1")


@pytest.fixture
def worklist_rows(demo, parent1):
    """One more row in every worklist section, each on an infant of its own: a dose due today, a
    missed dose, an open alert, a failed message and a review due."""
    regimen = m.Regimen.objects.get(clinic__isnull=True, key="seed-000-patient-1")

    def add() -> None:
        infant = _new_infant(demo.clinic)
        # Daily doses from three days ago: dose 4 is due today, dose 1 was missed.
        course = start_course_from_regimen(
            infant=infant, actor=None, regimen=regimen, started_on=_day(-3), today=DEMO_DAY
        )
        course.planned_doses.filter(number=1).update(status=PlannedDoseStatus.MISSED)
        serial = next(_serial)
        m.Alert.objects.create(
            infant=infant,
            code=f"rule_{serial}",
            severity="warning",
            message="Test.",
            source="test",
            rules_version="test-1",
            raised_at=timezone.now(),
            # Every other alert already seen: the page names who saw it.
            acknowledged_at=timezone.now() if serial % 2 else None,
            acknowledged_by=m.User.objects.get(username="staff") if serial % 2 else None,
        )
        _message(parent1, infant, MessageStatus.FAILED, attempts=5, last_error="timeout")
        create_record(
            m.ReviewTask,
            actor=None,
            course=course,
            phase_number=2,
            phase_name="monthly",
            due_on=DEMO_DAY,
            question="Continue the monthly doses?",
        )

    return add


@pytest.fixture
def infant_history(infant_p1, parent1):
    """One more visit, dose given, lab result, growth measurement and message in infant P1's
    record."""
    course = infant_p1.treatment_courses.active().order_by("started_on").first()

    def add() -> None:
        days_ago = -next(_serial)
        create_record(
            m.Visit,
            actor=None,
            infant=infant_p1,
            visit_type="outpatient",
            visit_date=_day(days_ago),
            reason="Check-up",
        )
        create_record(
            m.DoseAdministration,
            actor=None,
            course=course,
            given_on=_day(days_ago),
            location="clinic",
            dose=Decimal("1"),
            dose_unit="mg",
            route="intramuscular",
        )
        record_lab_result(
            actor=None,
            infant=infant_p1,
            analyte="b12",
            collected_on=_day(days_ago),
            value=Decimal("420"),
            unit="pg/mL",
        )
        # Read by the timeline and by the four growth charts' words, which share one read of the
        # measurements and their stored scores.
        record_growth(
            infant=infant_p1,
            actor=None,
            measured_on=_day(days_ago),
            weight_kg=Decimal("13.6"),
            length_cm=Decimal("93.5"),
            length_position="standing",
            head_circumference_cm=Decimal("48.7"),
            today=DEMO_DAY,
        )
        _message(parent1, infant_p1, MessageStatus.SENT, sent_at=timezone.now())

    return add


@pytest.fixture
def child_schedule(infant_p1, parent1):
    """One more booked visit and one more reminder sent about parent 1's child."""

    def add() -> None:
        create_record(
            m.Visit,
            actor=None,
            infant=infant_p1,
            visit_type="outpatient",
            visit_date=_day(next(_serial)),
        )
        _message(parent1, infant_p1, MessageStatus.SENT, sent_at=timezone.now())

    return add


# --- staff pages ------------------------------------------------------------------------------


def test_worklist(signed_in, worklist_rows):
    page = assert_constant(signed_in("staff"), "/worklist/", worklist_rows)
    for section in ("due-today", "missed", "alerts", "failed", "reviews"):
        assert _section(page, section).count('href="/infants/') >= 3 * N, section


def test_infant_list(signed_in, demo):
    page = assert_constant(signed_in("staff"), "/infants/", lambda: _new_infant(demo.clinic))
    assert page.count('href="/infants/') >= 2 + 3 * N


def test_infant_page(signed_in, infant_p1, infant_history):
    page = assert_constant(signed_in("staff"), f"/infants/{infant_p1.pk}/", infant_history)
    assert _section(page, "timeline").count("Check-up") == 3 * N
    assert _section(page, "timeline").count("weight 13.6 kg") == 3 * N
    assert f"{1 + 3 * N} measurements:" in page  # the growth charts' alt text, admission included
    assert _section(page, "messages-sent").count("<tr>") >= 3 * N


# --- the portal -------------------------------------------------------------------------------


def test_portal_home(signed_in, child_schedule):
    page = assert_constant(signed_in("parent1"), "/portal/", child_schedule)
    assert page.count("/seen/") >= 3 * N  # the reminders sent, each with its "seen" button


def test_portal_home_costs_one_access_log_row_per_child(signed_in, demo, parent1):
    """Each child shown is a read of its record, logged on a row of its own; nothing else grows."""
    client = signed_in("parent1")

    def add_child() -> None:
        child = _new_infant(demo.clinic)
        create_record(
            m.InfantGuardian, actor=None, infant=child, guardian=parent1, relationship="mother"
        )

    count_queries(client, "/portal/")
    for _ in range(N):
        add_child()
    small, _ = count_queries(client, "/portal/")
    for _ in range(2 * N):
        add_child()
    large, page = count_queries(client, "/portal/")
    assert large == small + 2 * N
    assert page.count('href="/portal/children/') >= 1 + 3 * N


def test_portal_child_page(signed_in, infant_p1, child_schedule):
    page = assert_constant(
        signed_in("parent1"), f"/portal/children/{infant_p1.pk}/", child_schedule
    )
    assert page.count("Clinic visit") == VISITS_SHOWN  # the page lists the next few only


def test_preferences(signed_in, parent1, child_schedule):
    def add() -> None:
        save_record(parent1, actor=None)  # one more version in the guardian's history
        child_schedule()

    assert_constant(signed_in("parent1"), "/portal/preferences/", add)


def test_calendar_page(signed_in, parent1):
    parent1.calendar_enabled = True
    save_record(parent1, actor=None)
    # Each new link revokes the one before: a longer history of links.
    assert_constant(signed_in("parent1"), "/portal/calendar/", lambda: issue_feed(parent1))


# --- the cohort dashboard -------------------------------------------------------------------


def test_cohort_dashboard(signed_in, demo):
    def add() -> None:
        generate_cohort(infants=1, clinic=demo.clinic, seed=next(_serial), today=DEMO_DAY)

    # Each addition changes the cohort's data version, so both counts include drawing every chart.
    page = assert_constant(signed_in("lead"), "/cohort/", add)
    assert "infants match the filters." in page
