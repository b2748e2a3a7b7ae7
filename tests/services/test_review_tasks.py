"""An open-ended phase gives staff review tasks, never an invented end date (CLINICAL.md section 3)."""

from __future__ import annotations

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from patients.clinical.regimens import load_shipped_regimens
from patients.selectors import open_review_tasks
from patients.services.treatment import record_course_event, start_course

START = datetime.date(2025, 1, 6)


@pytest.fixture
def course(infant, staff):
    # BNF for Children: 1 mg on alternate days until no further improvement (a clinician decides).
    return start_course(
        infant=infant,
        actor=staff,
        regimen=load_shipped_regimens()["with-neurological-involvement"],
        started_on=START,
        today=START,
    )


def open_tasks(course):
    return list(
        course.review_tasks.filter(completed_at__isnull=True, superseded=False).order_by("due_on")
    )


def test_the_open_ended_phase_asks_for_reviews(course):
    tasks = open_tasks(course)
    assert tasks, "an open-ended phase must produce review tasks"
    assert tasks[0].phase_number == 1 and tasks[0].due_on > START
    assert "advance" in tasks[0].question
    # The alternate-day phase itself has no end: doses continue to the horizon.
    phase_1 = course.planned_doses.filter(phase_number=1).order_by("-due_on").first()
    assert phase_1.due_on >= START + relativedelta(months=11)


def test_advancing_settles_the_due_review_and_replaces_the_rest(course, staff):
    first = open_tasks(course)[0]
    record_course_event(
        course, actor=staff, kind="advance", on=first.due_on, reason="No further improvement"
    )
    first.refresh_from_db()
    assert (first.completed_by, first.completed_at is not None) == (staff, True)
    assert "Advanced" in first.outcome
    assert not course.review_tasks.filter(
        phase_number=1, completed_at__isnull=True, superseded=False
    ).exists()
    assert first.history.latest().history_user == staff


def test_the_worklist_shows_due_reviews_of_the_users_clinic_only(course, staff, other_staff):
    due = open_tasks(course)[0].due_on
    assert [t.course_id for t in open_review_tasks(staff, due_by=due)] == [course.id]
    assert list(open_review_tasks(other_staff, due_by=due)) == []
    assert list(open_review_tasks(staff, due_by=START)) == []


def test_a_member_of_staff_who_is_also_a_parent_gets_no_review_of_their_own_child(
    course, infant, other_staff
):
    # The course's infant is other_staff's own child, followed in a clinic they do not work in:
    # deciding on its course is that clinic's work, not theirs.
    from patients import models as m

    guardian = m.Guardian.objects.create(user=other_staff, phone="+905320000009")
    m.InfantGuardian.objects.create(infant=infant, guardian=guardian, relationship="father")
    due = open_tasks(course)[0].due_on

    assert list(open_review_tasks(other_staff, due_by=due)) == []
