"""The staff treatment pages with the demo's clinic: start a course from a previewed calendar, and
change a running course's plan (missed dose, advance, change, stop) through its page.

A course is started for a newly diagnosed infant of the demo clinic (the demo's own infants are
years into their treatment), so the calendar starts on the demo's day as it would in the clinic.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.models.treatment import CourseStatus, PlannedDoseStatus
from patients.services.regimens import preview_regimen, start_course_from_regimen
from patients.services.treatment import default_horizon, record_course_event
from tests.conftest import f
from tests.web.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _text(response) -> str:
    return response.content.decode()


def _regimen(key: str) -> m.Regimen:
    return m.Regimen.objects.get(clinic__isnull=True, key=key)


@pytest.fixture
def newborn(infant_p1):
    """A nine-month-old just diagnosed in the demo clinic, with no course yet."""
    return f.InfantFactory(
        clinic=infant_p1.clinic,
        record_number="S000-N1",
        given_name="Ayşe",
        birth_date=DEMO_DAY - datetime.timedelta(days=275),
    )


@pytest.fixture
def course(newborn, demo_user):
    """Seed 000 patient 2's taper, started three days ago; no dose recorded since."""
    return start_course_from_regimen(
        infant=newborn,
        actor=demo_user("staff"),
        regimen=_regimen("seed-000-patient-2"),
        started_on=DEMO_DAY - 3 * DAY,
        today=DEMO_DAY,
    )


def _start_url(infant) -> str:
    return f"/infants/{infant.pk}/courses/new/"


def _course_url(course) -> str:
    return f"/infants/{course.infant_id}/courses/{course.pk}/"


def _counts() -> dict[str, int]:
    """Rows and history rows of everything starting a course or changing its plan writes."""
    return {
        "courses": m.TreatmentCourse.objects.count(),
        "course history": m.TreatmentCourse.history.count(),
        "planned doses": m.PlannedDose.objects.count(),
        "planned dose history": m.PlannedDose.history.count(),
        "events": m.CourseEvent.objects.count(),
        "event history": m.CourseEvent.history.count(),
        "review tasks": m.ReviewTask.objects.count(),
        "planned messages": m.PlannedMessage.objects.count(),
    }


_CALENDAR_ROW = re.compile(
    r'<tr class="dose-(\w+)">\s*<td><time datetime="([\d-]+)">.*?</td>\s*<td[^>]*>(\d+)</td>', re.S
)


def _calendar(html: str) -> list[tuple[str, str, int]]:
    """(status, date, dose number) of every row of the calendar tables on the page."""
    return [(status, on, int(number)) for status, on, number in _CALENDAR_ROW.findall(html)]


def _stored_calendar(course) -> list[tuple[str, str, int]]:
    """The course's current planned doses as the course page lists them: from today, then before."""
    rows = (
        m.PlannedDose.objects.active()
        .filter(course=course)
        .exclude(status=PlannedDoseStatus.SUPERSEDED)
        .order_by("due_on", "number")
    )
    as_listed = [(row.status, f"{row.due_on:%Y-%m-%d}", row.number) for row in rows]
    today = f"{DEMO_DAY:%Y-%m-%d}"
    return [r for r in as_listed if r[1] >= today] + [r for r in as_listed if r[1] < today]


def _field_error(html: str, field: str) -> bool:
    """The field's error is on the page, and its input points at it for a screen reader."""
    described = re.search(rf'aria-describedby="[^"]*\bid_{field}_error"', html)
    return f'id="id_{field}_error"' in html and described is not None


# --- starting a course ------------------------------------------------------------------------


def test_start_page_offers_the_newest_version_of_each_regimen_from_the_clinics_today(
    signed_in, newborn
):
    page = _text(signed_in("staff").get(_start_url(newborn)))
    assert 'for="id_regimen"' in page and 'for="id_started_on"' in page
    assert f'value="{DEMO_DAY:%Y-%m-%d}"' in page
    for regimen in m.Regimen.objects.filter(clinic__isnull=True, is_active=True):
        assert f'value="{regimen.pk}"' in page
    assert "already has an active course" not in page
    # Nothing to start yet: the only submit is the preview.
    assert 'value="start"' not in page


def test_preview_shows_the_whole_calendar_and_saves_nothing(
    signed_in, newborn, django_capture_on_commit_callbacks
):
    regimen = _regimen("seed-000-patient-2")
    before = _counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_in("staff").post(
            _start_url(newborn),
            {"action": "preview", "regimen": regimen.pk, "started_on": "2026-11-21"},
        )
    assert response.status_code == 200
    assert _counts() == before
    assert callbacks == []
    page = _text(response)
    plan = preview_regimen(
        regimen=regimen,
        clinic=newborn.clinic,
        start=DEMO_DAY,
        horizon=default_horizon(DEMO_DAY, DEMO_DAY),
    )
    # Patient 2: daily on days 1-7, every 2 days on days 9-21, monthly until 18 months of therapy.
    assert _calendar(page) == [
        ("planned", f"{dose.date:%Y-%m-%d}", dose.sequence) for dose in plan.doses
    ]
    assert [dose.phase_name for dose in plan.doses[6:8]] == ["daily", "every 2 days"]
    assert _calendar(page)[7] == ("planned", "2026-11-29", 8)
    assert "every 2 days" in page and "In clinic" in page
    # The form stays filled, and the start can now be asked for.
    assert f'<option value="{regimen.pk}" selected>' in page
    assert 'value="start"' in page and 'name="previewed"' in page


def test_preview_moves_clinic_doses_off_closing_days(signed_in, newborn):
    # The demo clinic opens every day; closed on Sundays from now, 22 November is one.
    m.ClinicWeeklyClosure.objects.create(clinic=newborn.clinic, weekday=7)
    response = signed_in("staff").post(
        _start_url(newborn),
        {
            "action": "preview",
            "regimen": _regimen("seed-000-patient-2").pk,
            "started_on": "2026-11-21",
        },
    )
    calendar = _calendar(_text(response))
    days = [datetime.date.fromisoformat(on) for _status, on, _number in calendar]
    assert all(day.isoweekday() != 7 for day in days)
    assert calendar[:3] == [
        ("planned", "2026-11-21", 1),
        ("planned", "2026-11-23", 2),
        ("planned", "2026-11-24", 3),
    ]
    assert "moved from" in _text(response)


def _preview_then_start(client, infant, **form) -> tuple:
    data = {"regimen": _regimen("seed-000-patient-1").pk, "started_on": "2026-11-21", **form}
    preview = client.post(_start_url(infant), {"action": "preview", **data})
    digest = re.search(r'name="previewed" value="(\w+)"', _text(preview)).group(1)
    return preview, client.post(
        _start_url(infant), {"action": "start", "previewed": digest, **data}
    )


def test_start_saves_the_previewed_course_and_its_planned_doses(
    signed_in, newborn, demo_user, django_capture_on_commit_callbacks
):
    client = signed_in("staff")
    before = _counts()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview, response = _preview_then_start(client, newborn, indication="B12 deficiency")
    course = m.TreatmentCourse.objects.get(infant=newborn)
    assert response.status_code == 302
    assert response["Location"] == _course_url(course)
    assert course.regimen_key == "seed-000-patient-1"
    assert course.started_on == DEMO_DAY
    assert course.indication == "B12 deficiency"
    assert course.prescribed_by == demo_user("staff")
    assert course.history.latest().history_user == demo_user("staff")
    # Exactly the calendar the preview showed was saved.
    saved = [
        (row.status, f"{row.due_on:%Y-%m-%d}", row.number) for row in course.planned_doses.all()
    ]
    assert sorted(saved) == sorted(_calendar(_text(preview)))
    assert _counts()["courses"] == before["courses"] + 1
    # The guardians' reminders are re-planned once the course commits.
    assert len(callbacks) >= 1

    page = _text(client.get(response["Location"]))
    assert "The course is started" in page
    assert _calendar(page) == _stored_calendar(course)


def test_a_start_whose_form_changed_after_the_preview_starts_nothing(signed_in, newborn):
    client = signed_in("staff")
    preview = client.post(
        _start_url(newborn),
        {
            "action": "preview",
            "regimen": _regimen("seed-000-patient-2").pk,
            "started_on": "2026-11-21",
        },
    )
    digest = re.search(r'name="previewed" value="(\w+)"', _text(preview)).group(1)
    before = _counts()
    response = client.post(
        _start_url(newborn),
        {
            "action": "start",
            "previewed": digest,
            "regimen": _regimen("seed-000-patient-1").pk,
            "started_on": "2026-11-21",
        },
    )
    assert response.status_code == 200
    assert _counts() == before
    page = _text(response)
    assert "Nothing was started" in page
    # The calendar of what the form now says, ready to be checked and started.
    # Patient 1: daily on days 1-14 (to 4 December), monthly from day 14 plus one month.
    assert _calendar(page)[13:15] == [("planned", "2026-12-04", 14), ("planned", "2027-01-04", 15)]
    assert re.search(r'name="previewed" value="(\w+)"', page).group(1) != digest


def test_an_active_course_is_named_and_a_second_one_needs_confirming(signed_in, infant_p1):
    client = signed_in("staff")
    running = m.TreatmentCourse.objects.get(infant=infant_p1, status=CourseStatus.ACTIVE)
    page = _text(client.get(_start_url(infant_p1)))
    assert "already has an active course" in page
    assert f'href="{_course_url(running)}"' in page
    assert "does not stop it" in page

    before = _counts()
    _preview, refused = _preview_then_start(client, infant_p1)
    assert refused.status_code == 200
    assert _field_error(_text(refused), "alongside")
    assert _counts() == before

    _preview, started = _preview_then_start(client, infant_p1, alongside="on")
    assert started.status_code == 302
    assert m.TreatmentCourse.objects.filter(infant=infant_p1, status="active").count() == 2


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"regimen": "", "started_on": "2026-11-21"}, "regimen"),
        ({"started_on": "2025-01-01"}, "started_on"),  # before the birth
        ({"started_on": "21.11.2026x"}, "started_on"),
        ({"started_on": "3000-01-01"}, "started_on"),
    ],
)
def test_start_refuses_bad_input_beside_the_field_and_saves_nothing(
    signed_in, newborn, form, field
):
    data = {"action": "start", "regimen": _regimen("seed-000-patient-1").pk, **form}
    before = _counts()
    response = signed_in("staff").post(_start_url(newborn), data)
    assert response.status_code == 200
    assert _field_error(_text(response), field)
    assert _counts() == before


def test_another_clinics_regimen_cannot_be_chosen(signed_in, newborn):
    elsewhere = f.ClinicFactory(name="Clinic 2")
    theirs = m.Regimen.objects.create(
        clinic=elsewhere,
        key="seed-000-patient-1",
        version=2,
        name="Clinic 2's own taper",
        definition=_regimen("seed-000-patient-1").definition,
    )
    client = signed_in("staff")
    assert str(theirs.pk) not in _text(client.get(_start_url(newborn)))
    response = client.post(
        _start_url(newborn),
        {"action": "preview", "regimen": theirs.pk, "started_on": "2026-11-21"},
    )
    assert _field_error(_text(response), "regimen")
    assert _calendar(_text(response)) == []


# --- the course page ------------------------------------------------------------------------


def test_course_page_shows_the_course_its_calendar_and_a_form_per_event(signed_in, course):
    page = _text(signed_in("staff").get(_course_url(course)))
    assert "Seed 000, patient 2" in page
    assert _calendar(page) == _stored_calendar(course)
    # Doses of the last three days were not recorded.
    assert ("planned", f"{DEMO_DAY - DAY:%Y-%m-%d}", 3) in _calendar(page)
    assert "Not recorded" in page
    for kind in ("missed", "advance", "change", "stop"):
        assert f'name="kind" value="{kind}"' in page
    for field in ("missed-dose", "missed-make_up_on", "advance-on", "change-route", "stop-reason"):
        assert f'for="id_{field}"' in page
    assert "every 2 days" in page  # the phase an advance moves to


def test_course_page_read_is_logged(signed_in, course, demo_user):
    signed_in("staff").get(_course_url(course))
    row = m.RecordAccess.objects.filter(resource="patients.treatmentcourse").latest("pk")
    assert row.user == demo_user("staff") and row.infant_id == course.infant_id
    assert row.object_id == str(course.pk)


def _post_event(client, course, kind: str, **fields):
    return client.post(
        _course_url(course), {"kind": kind, **{f"{kind}-{k}": v for k, v in fields.items()}}
    )


def _dose_on(course, day: datetime.date) -> m.PlannedDose:
    return course.planned_doses.active().get(due_on=day, status=PlannedDoseStatus.PLANNED)


def test_a_missed_dose_is_made_up_and_the_calendar_re_planned(signed_in, course, demo_user):
    client = signed_in("staff")
    missed = _dose_on(course, DEMO_DAY - DAY)
    response = _post_event(client, course, "missed", dose=missed.pk, reason="Family away")
    assert response.status_code == 302
    assert response["Location"] == _course_url(course) + "#calendar"

    event = course.events.get()
    assert (event.kind, event.on, event.reason) == ("missed", DEMO_DAY - DAY, "Family away")
    assert event.recorded_by == demo_user("staff")
    rows = _stored_calendar(course)
    # Dose 3 stays missed on its day and is made up today; the doses after it follow.
    assert ("missed", f"{DEMO_DAY - DAY:%Y-%m-%d}", 3) in rows
    assert ("planned", f"{DEMO_DAY:%Y-%m-%d}", 3) in rows
    assert ("planned", f"{DEMO_DAY + DAY:%Y-%m-%d}", 4) in rows

    page = _text(client.get(response["Location"]))
    assert "Dose missed on" in page and "is recorded" in page
    assert _calendar(page) == rows
    assert "Family away" in page


def test_advancing_plans_the_next_phase_from_the_day(signed_in, course):
    response = _post_event(
        signed_in("staff"), course, "advance", on=f"{DEMO_DAY:%Y-%m-%d}", reason="Improving"
    )
    assert response.status_code == 302
    coming = (
        course.planned_doses.active()
        .filter(status=PlannedDoseStatus.PLANNED, due_on__gte=DEMO_DAY)
        .order_by("due_on")
    )
    assert coming[0].phase_name == "every 2 days"
    page = _text(signed_in("staff").get(_course_url(course)))
    assert _calendar(page) == _stored_calendar(course)
    assert "Advanced to the next phase" in page


def test_changing_the_route_and_dose_re_plans_every_later_dose(signed_in, course):
    response = _post_event(
        signed_in("staff"),
        course,
        "change",
        on=f"{DEMO_DAY:%Y-%m-%d}",
        dose="0.5",
        route="subcutaneous",
        reason="Injection-site reaction",
    )
    assert response.status_code == 302
    coming = course.planned_doses.active().filter(
        status=PlannedDoseStatus.PLANNED, due_on__gte=DEMO_DAY
    )
    assert coming.exists()
    assert {(row.dose, row.route) for row in coming} == {(Decimal("0.5"), "subcutaneous")}
    earlier = course.planned_doses.active().filter(due_on__lt=DEMO_DAY)
    assert {(row.dose, row.route) for row in earlier} == {(Decimal("1"), "intramuscular")}
    page = _text(signed_in("staff").get(_course_url(course)))
    assert _calendar(page) == _stored_calendar(course)
    assert "0.5 mg subcutaneous" in page


def test_stopping_cancels_the_coming_doses_and_closes_the_forms(signed_in, course):
    response = _post_event(
        signed_in("staff"), course, "stop", on=f"{DEMO_DAY:%Y-%m-%d}", reason="Parents declined"
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.status, course.stopped_on, course.stop_reason) == (
        "stopped",
        DEMO_DAY,
        "Parents declined",
    )
    assert not course.planned_doses.active().filter(
        status=PlannedDoseStatus.PLANNED, due_on__gte=DEMO_DAY
    )
    page = _text(signed_in("staff").get(_course_url(course)))
    assert _calendar(page) == _stored_calendar(course)
    assert "No dose is planned from today." in page
    assert 'name="kind"' not in page
    assert "its plan cannot change" in page


def test_a_form_left_open_after_the_stop_changes_nothing(signed_in, course, demo_user):
    record_course_event(
        course, actor=demo_user("staff"), kind="stop", on=DEMO_DAY, reason="Parents declined"
    )
    before = _counts()
    response = _post_event(
        signed_in("staff"), course, "change", on=f"{DEMO_DAY:%Y-%m-%d}", route="oral"
    )
    assert response.status_code == 302
    assert _counts() == before
    assert "its plan cannot change" in _text(signed_in("staff").get(response["Location"]))


@pytest.mark.parametrize(
    ("kind", "fields", "error"),
    [
        ("missed", {"dose": "another course"}, "missed-dose"),
        ("missed", {"dose": "a coming dose"}, "missed-dose"),
        ("missed", {"dose": "yesterday", "make_up_on": "2026-11-19"}, "missed-make_up_on"),
        ("stop", {"on": "2026-11-21", "reason": ""}, "stop-reason"),
        ("stop", {"on": "2026-11-01", "reason": "Before the start"}, "stop-on"),
        ("change", {"on": "2026-11-21", "dose": "-1"}, "change-dose"),
        ("change", {"on": "2026-11-21", "dose": "0"}, "change-dose"),
        ("change", {"on": "2026-11-21", "dose_unit": "microgram"}, "change-dose"),
        ("change", {"on": "2026-11-21", "route": "intravenous"}, "change-route"),
        ("change", {"on": "9999-12-31", "route": "oral"}, "change-on"),
        ("advance", {"on": ""}, "advance-on"),
    ],
)
def test_bad_event_input_is_shown_beside_the_field_and_saves_nothing(
    signed_in, course, infant_p1, kind, fields, error
):
    doses = {
        "another course": m.PlannedDose.objects.filter(course__infant=infant_p1).first().pk,
        "a coming dose": _dose_on(course, DEMO_DAY + DAY).pk,
        "yesterday": _dose_on(course, DEMO_DAY - DAY).pk,
    }
    if "dose" in fields and kind == "missed":
        fields = {**fields, "dose": doses[fields["dose"]]}
    before = _counts()
    response = _post_event(signed_in("staff"), course, kind, **fields)
    assert response.status_code == 200
    page = _text(response)
    assert _field_error(page, error)
    assert "Nothing was saved" in page
    assert _counts() == before
    # What was typed is still there to correct.
    if fields.get("reason"):
        assert fields["reason"] in page


def test_a_change_that_changes_nothing_is_refused_above_the_form(signed_in, course):
    before = _counts()
    response = _post_event(signed_in("staff"), course, "change", on=f"{DEMO_DAY:%Y-%m-%d}")
    assert response.status_code == 200
    assert "Give a new dose, unit or route." in _text(response)
    assert _counts() == before


def test_the_services_refusal_is_shown_on_the_form(signed_in, course, demo_user):
    # Advanced to the last phase already: the planner refuses a second advance.
    record_course_event(course, actor=demo_user("staff"), kind="advance", on=DEMO_DAY - DAY)
    record_course_event(course, actor=demo_user("staff"), kind="advance", on=DEMO_DAY)
    before = _counts()
    response = _post_event(signed_in("staff"), course, "advance", on=f"{DEMO_DAY:%Y-%m-%d}")
    page = _text(response)
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert "is the last phase: stop the course" in page
    assert _counts() == before


def test_an_unknown_kind_of_event_is_a_bad_request(signed_in, course):
    before = _counts()
    response = signed_in("staff").post(_course_url(course), {"kind": "void"})
    assert response.status_code == 400
    assert _counts() == before


def test_a_course_recorded_without_a_regimen_shows_no_forms(signed_in, infant_p2):
    iron = m.TreatmentCourse.objects.get(infant=infant_p2, drug="iron")
    page = _text(signed_in("staff").get(_course_url(iron)))
    assert "recorded without a regimen" in page
    assert 'name="kind"' not in page


# --- who may ----------------------------------------------------------------------------------


def test_a_lead_may_use_the_pages(signed_in, course, newborn):
    client = signed_in("lead")
    assert client.get(_start_url(newborn)).status_code == 200
    assert client.get(_course_url(course)).status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_guardians_other_clinics_and_other_infants_get_404(
    client, signed_in, infant_p1, infant_p2, method
):
    p1_course = m.TreatmentCourse.objects.get(infant=infant_p1, status="active")
    stranger = f.member(f.ClinicFactory(name="Clinic 2"), "staff", username="staff-c2")
    before = _counts()

    parent = signed_in("parent1")
    assert getattr(parent, method)(_start_url(infant_p1)).status_code == 404
    assert getattr(parent, method)(_course_url(p1_course)).status_code == 404

    client.force_login(stranger)
    assert getattr(client, method)(_start_url(infant_p1)).status_code == 404
    assert getattr(client, method)(_course_url(p1_course)).status_code == 404

    staff = signed_in("staff")
    # The same addresses answer their own clinic's staff (a post without a form changes nothing).
    assert getattr(staff, method)(_start_url(infant_p1)).status_code == 200
    assert getattr(staff, method)(_course_url(p1_course)).status_code == 200
    # A course reached through another infant's address.
    assert (
        getattr(staff, method)(f"/infants/{infant_p2.pk}/courses/{p1_course.pk}/").status_code
        == 404
    )
    assert _counts() == before


def test_anonymous_is_sent_to_sign_in(client, course):
    response = client.get(_course_url(course))
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


# --- the infant page links, the page weight -------------------------------------------------------


def test_infant_page_links_to_starting_a_course_and_to_the_active_one(
    signed_in, infant_p1, newborn
):
    client = signed_in("staff")
    running = m.TreatmentCourse.objects.get(infant=infant_p1, status="active")
    page = _text(client.get(f"/infants/{infant_p1.pk}/"))
    assert f'href="{_start_url(infant_p1)}"' in page
    assert f'href="{_course_url(running)}"' in page
    fresh = _text(client.get(f"/infants/{newborn.pk}/"))
    assert f'href="{_start_url(newborn)}"' in fresh
    assert "Treatment course" not in fresh


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_course_page_queries_do_not_grow_with_doses_or_events(signed_in, course, demo_user):
    client = signed_in("staff")
    url = _course_url(course)
    client.get(url)  # the session and the translation catalogue are warm from here on
    first = _queries(client, url)
    staff = demo_user("staff")
    for day in (DEMO_DAY - 3 * DAY, DEMO_DAY - 2 * DAY):
        record_course_event(course, actor=staff, kind="missed", on=day)
    record_course_event(course, actor=staff, kind="change", on=DEMO_DAY, dose=Decimal("0.5"))
    assert course.events.count() == 3
    # Each event added a made-up dose or a re-planned one, so there are more rows to show.
    assert course.planned_doses.count() > 30
    # Session, user, the user's roles (with the clinics in scope and whether they are a guardian,
    # for the navigation), the infant, the course, the doses a miss may name, the calendar, the
    # events with who recorded them, the access log: nine, and none of them per dose or event.
    assert first == 9
    assert _queries(client, url) == first


def test_pages_carry_no_inline_script_or_style(signed_in, course, newborn):
    client = signed_in("staff")
    responses = [
        client.get(_start_url(newborn)),
        client.post(
            _start_url(newborn),
            {
                "action": "preview",
                "regimen": _regimen("seed-000-patient-2").pk,
                "started_on": "2026-11-21",
            },
        ),
        client.get(_course_url(course)),
        _post_event(client, course, "stop", on="2026-11-21", reason=""),
    ]
    for response in responses:
        html = _text(response)
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)
        assert "/static/web/treatment.css" in html
