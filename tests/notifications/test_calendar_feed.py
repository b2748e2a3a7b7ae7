"""The guardian's calendar feed: valid iCalendar for two parsers, every future dose and visit of
their own children only, SEQUENCE that grows with the plan, and 404 for a dead link."""

from __future__ import annotations

import datetime

import icalendar
import pytest
import time_machine
import vobject
from django.urls import reverse

from patients import models as m
from patients.models.treatment import PlannedDoseStatus
from patients.notifications.calendar import dose_uid, visit_uid
from patients.services.calendar_feeds import issue_feed, revoke_feed
from patients.services.treatment import record_course_event
from tests.factories import InfantFactory, VisitFactory
from tests.notifications import DIAGNOSIS_WORDS, make_guardian, start_seed_course

# 10:00 in Istanbul on Monday 10 March 2025; the course below started a week earlier.
NOW = datetime.datetime(2025, 3, 10, 7, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 3, 10)
STARTED = datetime.date(2025, 3, 3)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def family(clinic, infant, staff, other_infant):
    """A guardian of two children with courses and visits, and a stranger's child beside them."""
    guardian = make_guardian(infant, language="en")
    sibling = InfantFactory(clinic=clinic, given_name="Ada", birth_date=datetime.date(2024, 3, 1))
    m.InfantGuardian.objects.create(infant=sibling, guardian=guardian, relationship="mother")
    course = start_seed_course(infant, actor=staff, started_on=STARTED)
    sibling_course = start_seed_course(sibling, actor=staff, started_on=TODAY)
    start_seed_course(other_infant, actor=None, started_on=STARTED)
    visits = [
        VisitFactory(infant=infant, visit_date=TODAY),
        VisitFactory(infant=sibling, visit_date=datetime.date(2025, 4, 2)),
    ]
    VisitFactory(infant=infant, visit_date=datetime.date(2025, 3, 1))  # past: not listed
    VisitFactory(infant=other_infant, visit_date=datetime.date(2025, 4, 2))  # not theirs
    return guardian, course, sibling_course, visits


def _fetch(client, feed):
    return client.get(reverse("patients:calendar-feed", args=[feed.token]))


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _expected_uids(guardian, course, sibling_course, visits) -> set[str]:
    doses = m.PlannedDose.objects.filter(
        course__in=[course, sibling_course], status=PlannedDoseStatus.PLANNED, due_on__gte=TODAY
    )
    return {dose_uid(d.course_id, d.number) for d in doses} | {visit_uid(v.id) for v in visits}


def test_the_feed_lists_every_future_dose_and_visit_of_the_guardians_children_only(client, family):
    guardian, course, sibling_course, visits = family
    feed = issue_feed(guardian)

    response = _fetch(client, feed)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control
    events = _events(response.content)
    expected = _expected_uids(guardian, course, sibling_course, visits)
    assert set(events) == expected
    # Both courses contribute, from today on; nothing before today.
    assert len([uid for uid in events if uid.startswith(f"dose-{sibling_course.id}-")]) > 1
    assert min(event.decoded("DTSTART") for event in events.values()) == TODAY
    assert all(isinstance(event.decoded("DTSTART"), datetime.date) for event in events.values())
    dose_8 = events[dose_uid(course.id, 8)]
    assert dose_8.decoded("DTSTART") == datetime.date(2025, 3, 11)
    assert dose_8.decoded("DTEND") == datetime.date(2025, 3, 12)
    assert str(dose_8["SUMMARY"]) == "Deniz: injection"
    assert str(dose_8["LOCATION"]) == "Clinic 1"
    assert str(events[visit_uid(visits[1].id)]["SUMMARY"]) == "Ada: clinic visit"


def test_a_second_independent_parser_reads_the_same_events(client, family):
    guardian, course, sibling_course, visits = family
    body = _fetch(client, issue_feed(guardian)).content

    parsed = vobject.readOne(body.decode("utf-8"))

    by_uid = {event.uid.value: event for event in parsed.vevent_list}
    assert set(by_uid) == _expected_uids(guardian, course, sibling_course, visits)
    assert parsed.x_wr_calname.value == "Injections and clinic visits"
    for uid, event in _events(body).items():
        assert by_uid[uid].dtstart.value == event.decoded("DTSTART")
        assert int(by_uid[uid].sequence.value) == int(event["SEQUENCE"])
        assert by_uid[uid].dtstamp.value == event.decoded("DTSTAMP")


def test_the_calendar_is_in_the_guardians_language_and_never_names_the_diagnosis(client, family):
    guardian, *_ = family
    guardian.language = "tr"
    guardian.save()

    body = _fetch(client, issue_feed(guardian)).content.decode("utf-8")

    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["X-WR-CALNAME"]) == "İğne ve kontrol günleri"
    summaries = {str(event["SUMMARY"]) for event in calendar.walk("VEVENT")}
    assert summaries == {
        "Deniz: iğne günü",
        "Ada: iğne günü",
        "Deniz: kontrol randevusu",
        "Ada: kontrol randevusu",
    }
    # What a phone shows, not the UIDs: their random hex spells "b12" once in a few hundred ids.
    shown = " ".join(
        str(value).lower()
        for component in calendar.walk()
        for name, value in component.items()
        if name != "UID"
    )
    assert "iğne günü" in shown
    assert not [word for word in DIAGNOSIS_WORDS if word in shown]


def test_sequence_grows_and_uids_stay_when_the_plan_changes(client, family, staff):
    guardian, course, *_ = family
    feed = issue_feed(guardian)
    before = _events(_fetch(client, feed).content)
    assert int(before[dose_uid(course.id, 8)]["SEQUENCE"]) == 0

    # Dose 8 (11 March) is missed and made up on the 12th: the rest of the plan moves with it.
    record_course_event(
        course,
        actor=staff,
        kind="missed",
        on=datetime.date(2025, 3, 11),
        make_up_on=datetime.date(2025, 3, 12),
    )
    after = _events(_fetch(client, feed).content)

    moved = after[dose_uid(course.id, 8)]
    assert moved.decoded("DTSTART") == datetime.date(2025, 3, 12)
    assert int(moved["SEQUENCE"]) > int(before[dose_uid(course.id, 8)]["SEQUENCE"])
    course_uids = {uid for uid in after if uid.startswith(f"dose-{course.id}-")}
    assert course_uids <= set(before)  # the same slots, moved in place: no new UIDs
    for uid in course_uids:
        assert int(after[uid]["SEQUENCE"]) > int(before[uid]["SEQUENCE"])
    # The sibling's course did not change, and neither did its events.
    for uid in set(after) - course_uids:
        assert after[uid].to_ical() == before[uid].to_ical()


def test_an_unchanged_plan_gives_the_same_bytes_on_every_poll(client, family):
    guardian, *_ = family
    feed = issue_feed(guardian)
    first = _fetch(client, feed).content
    with time_machine.travel(NOW + datetime.timedelta(minutes=30), tick=False):
        assert _fetch(client, feed).content == first


def test_the_feed_costs_three_queries_whatever_the_number_of_events(
    client, family, django_assert_num_queries
):
    guardian, *_ = family
    feed = issue_feed(guardian)
    # The feed and its guardian (one join), the future doses with course, infant and clinic
    # (one join), the future visits with their revision count (one join and a subquery).
    with django_assert_num_queries(3):
        assert _fetch(client, feed).status_code == 200


def test_a_revoked_link_and_an_unknown_link_both_answer_404(client, family):
    guardian, *_ = family
    feed = issue_feed(guardian)
    assert _fetch(client, feed).status_code == 200

    revoke_feed(feed, NOW)

    revoked = _fetch(client, feed)
    unknown = client.get(reverse("patients:calendar-feed", args=["not-a-token"]))
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.content == unknown.content


def test_issuing_a_new_link_retires_the_old_one(client, family):
    guardian, *_ = family
    old = issue_feed(guardian)
    new = issue_feed(guardian)

    old.refresh_from_db()
    assert old.revoked_at is not None and new.revoked_at is None
    assert new.token != old.token and len(new.token) >= 43  # 256 bits, URL-safe base64
    assert _fetch(client, old).status_code == 404
    assert _fetch(client, new).status_code == 200


def test_revoking_twice_keeps_the_first_time(family):
    guardian, *_ = family
    feed = issue_feed(guardian)
    revoke_feed(feed, NOW)
    revoke_feed(feed, NOW + datetime.timedelta(days=1))
    assert feed.revoked_at == NOW


def test_the_feed_needs_no_login_and_refuses_writes(client, family):
    guardian, *_ = family
    feed = issue_feed(guardian)
    url = reverse("patients:calendar-feed", args=[feed.token])
    assert url == f"/calendar/{feed.token}.ics"
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405
