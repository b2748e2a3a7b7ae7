"""Starting many courses together (`start_courses`): the same rows as one course at a time, in a
number of statements that does not grow with the batch, and all or nothing."""

from __future__ import annotations

import datetime
import gc

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.services import treatment
from patients.services.bulk import cycle_collection_paused
from patients.services.treatment import CourseStart, start_course, start_courses
from tests.factories import InfantFactory, UserFactory
from tests.reminders import guardian_of

pytestmark = pytest.mark.django_db

REGIMEN = "seed-000-patient-2"  # daily, then every other day, then monthly


@pytest.fixture
def regimen():
    return load_shipped_regimens()[REGIMEN]


@pytest.fixture
def actor():
    return UserFactory(username="nurse")


def followed_infant(clinic, n: int, *, email: bool) -> m.Infant:
    today = timezone.localdate()
    infant = InfantFactory(
        clinic=clinic, birth_date=today - datetime.timedelta(days=200), record_number=f"R{n}"
    )
    guardian_of(
        infant, phone=f"+9053200000{n:02d}", email=f"parent{n}@example.org" if email else ""
    )
    return infant


def course_rows(infant: m.Infant) -> dict:
    """What a course start wrote for the infant, without ids (slot keys hold the course id)."""
    course = m.TreatmentCourse.objects.get(infant=infant)
    return {
        "course": (
            course.drug,
            course.route,
            course.dose,
            course.dose_unit,
            course.regimen_key,
            course.regimen_version,
            course.regimen,
            course.started_on,
            course.planned_until,
            course.prescribed_by_id,
        ),
        "doses": list(
            course.planned_doses.order_by("number").values_list(
                "number",
                "phase_number",
                "phase_name",
                "number_in_phase",
                "due_on",
                "dose",
                "dose_unit",
                "route",
                "at_home",
                "status",
                "plan_version",
            )
        ),
        "reviews": list(
            course.review_tasks.order_by("due_on").values_list("phase_number", "due_on", "question")
        ),
        "reminders": list(
            m.PlannedMessage.objects.filter(infant=infant)
            .order_by("due_at", "kind", "channel")
            .values_list("kind", "channel", "due_at", "event_on", "status", "planned_dose__number")
        ),
    }


def table_counts() -> dict[str, int]:
    models = (m.TreatmentCourse, m.PlannedDose, m.ReviewTask, m.PlannedMessage)
    counts = {model.__name__: model.objects.count() for model in models}
    counts |= {f"{model.__name__} history": model.history.count() for model in models[:3]}
    return counts


def test_courses_started_together_are_those_started_one_at_a_time(
    clinic, regimen, actor, django_capture_on_commit_callbacks
):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    alone = [followed_infant(clinic, n, email=n % 2 == 0) for n in range(2)]
    together = [followed_infant(clinic, n, email=n % 2 == 0) for n in range(2, 4)]

    with django_capture_on_commit_callbacks(execute=True):
        for infant in alone:
            start_course(infant=infant, actor=actor, regimen=regimen, started_on=started_on)
    with django_capture_on_commit_callbacks(execute=True):
        courses = start_courses(
            [CourseStart(infant, regimen, started_on) for infant in together], actor=actor
        )

    assert [c.infant_id for c in courses] == [i.pk for i in together]
    for one, batch in zip(alone, together, strict=True):
        expected, got = course_rows(one), course_rows(batch)
        assert got == expected
        assert len(got["doses"]) > 30 and len(got["reminders"]) > 60
    # History says who started them, for every row.
    for model in (m.TreatmentCourse, m.PlannedDose, m.ReviewTask):
        rows = model.history.filter(history_type="+")
        assert rows.count() == 2 * model.objects.filter(**_of(model, together)).count()
        assert set(rows.values_list("history_user", flat=True)) <= {actor.pk}
    assert m.PlannedDose.history.filter(history_user=actor).count() > 60


def _of(model, infants) -> dict:
    return (
        {"infant__in": infants} if model is m.TreatmentCourse else {"course__infant__in": infants}
    )


def test_the_statements_do_not_grow_with_the_number_of_courses(
    clinic, regimen, actor, django_capture_on_commit_callbacks
):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    small = [followed_infant(clinic, n, email=True) for n in range(2)]
    large = [followed_infant(clinic, n, email=True) for n in range(2, 8)]

    counts = []
    for infants in (small, large):
        # The alert refresh after the commit is one infant at a time (the periodic pass's work);
        # the planning itself is what must not grow.
        with (
            django_capture_on_commit_callbacks(execute=False),
            CaptureQueriesContext(connection) as queries,
        ):
            start_courses([CourseStart(i, regimen, started_on) for i in infants], actor=actor)
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert m.PlannedMessage.objects.filter(infant__in=large).count() > 6 * 60


def test_a_voided_infant_refuses_the_whole_batch_and_nothing_is_written(clinic, regimen, actor):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    infants = [followed_infant(clinic, n, email=False) for n in range(3)]
    m.Infant.objects.filter(pk=infants[1].pk).update(
        voided_at=timezone.now(), voided_by=actor, void_reason="entered twice"
    )
    before = table_counts()

    with pytest.raises(ValidationError, match="R1"):
        start_courses([CourseStart(i, regimen, started_on) for i in infants], actor=actor)

    assert table_counts() == before


def test_a_course_before_an_infants_birth_refuses_the_whole_batch(clinic, regimen, actor):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    infants = [followed_infant(clinic, n, email=False) for n in range(2)]
    unborn = InfantFactory(clinic=clinic, birth_date=started_on + datetime.timedelta(days=3))
    before = table_counts()

    with pytest.raises(ValidationError) as error:
        start_courses(
            [CourseStart(i, regimen, started_on) for i in [*infants, unborn]], actor=actor
        )

    assert "started_on" in error.value.message_dict
    assert table_counts() == before


def test_each_infants_alerts_are_refreshed_once_the_batch_commits(
    clinic, regimen, actor, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    infants = [followed_infant(clinic, n, email=False) for n in range(3)]
    refreshed, calls = [], []

    def refresh_alerts_of(ids, now):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("a rule failed")
        refreshed.extend(ids)

    monkeypatch.setattr(treatment, "refresh_alerts_of", refresh_alerts_of)
    monkeypatch.setattr(treatment, "REFRESH_CHUNK", 1)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        start_courses([CourseStart(i, regimen, started_on) for i in infants], actor=actor)
        assert refreshed == []  # not before the commit

    assert len(callbacks) == 1
    # In chunks: the chunk whose rule failed is logged, and the chunk after it is still refreshed
    # (the periodic pass repairs the failed one).
    assert len(refreshed) == 2
    assert set(refreshed) < {i.pk for i in infants}
    assert "alerts not refreshed after courses were started (chunk of 1)" in caplog.text


def test_the_cycle_collector_is_paused_for_a_batch_and_left_as_it_was_found(
    clinic, regimen, actor, monkeypatch
):
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    infants = [followed_infant(clinic, n, email=False) for n in range(2)]
    seen = []
    plan = treatment.plan_reminders_for
    monkeypatch.setattr(
        treatment,
        "plan_reminders_for",
        lambda *a, **k: seen.append(gc.isenabled()) or plan(*a, **k),
    )

    start_courses([CourseStart(i, regimen, started_on) for i in infants], actor=actor)
    assert seen == [False]
    assert gc.isenabled()
    # Whoever had switched it off keeps it off; an error does not leave it off.
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValidationError), cycle_collection_paused():
        raise ValidationError("refused")
    assert gc.isenabled()


def test_courses_and_the_planners_rows_get_time_ordered_keys_and_people_keep_random_ones(
    clinic, regimen, actor, django_capture_on_commit_callbacks
):
    # Courses, doses and reminders are written by the thousand: version 7 keys, in the order
    # they were made, so each insert lands on the right-hand pages of their indexes
    # (models.base); a reminder's slot key starts with its course's key, so its unique index
    # fills in order too. Both ways of writing them take the model's default: COPY for a batch,
    # the ORM for one course.
    started_on = timezone.localdate() + datetime.timedelta(days=1)
    together = [followed_infant(clinic, n, email=True) for n in range(2)]
    alone = followed_infant(clinic, 2, email=True)

    with django_capture_on_commit_callbacks(execute=True):
        start_courses([CourseStart(i, regimen, started_on) for i in together], actor=actor)
    with django_capture_on_commit_callbacks(execute=True):
        start_course(infant=alone, actor=actor, regimen=regimen, started_on=started_on)

    for infants in (together, [alone]):
        doses = m.PlannedDose.objects.filter(course__infant__in=infants)
        messages = m.PlannedMessage.objects.filter(infant__in=infants)
        assert doses.count() > 30 and messages.count() > 60
        courses = m.TreatmentCourse.objects.filter(infant__in=infants)
        for rows in (courses, doses, messages):
            keys = list(rows.values_list("pk", flat=True))
            assert {key.version for key in keys} == {7}
            assert len(set(keys)) == len(keys)
        # A dose's history row keeps the dose's own key.
        dose = doses.first()
        assert dose.history.get().id == dose.pk
    first, last = (
        m.PlannedDose.objects.filter(course__infant=infant).order_by("number").first()
        for infant in (together[0], alone)
    )
    assert first.pk < last.pk  # the later course's keys sort after the earlier one's
    assert first.course_id < last.course_id
    slot_keys = [
        m.PlannedMessage.objects.filter(infant=infant, planned_dose__isnull=False)
        .order_by("slot_key")
        .values_list("slot_key", flat=True)
        for infant in (together[0], alone)
    ]
    assert slot_keys[0].last() < slot_keys[1].first()
    # The infant and the guardians keep random keys: nothing about a person is told by its key.
    assert {i.pk.version for i in [*together, alone]} == {4}
    assert {g.pk.version for g in m.Guardian.objects.all()} == {4}
