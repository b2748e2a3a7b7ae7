"""The pages with the demo's people: who lands where, who sees what, and what a read leaves behind."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import models as m
from patients.charts import render as chart_render
from patients.models.reminders import MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.services.labs import record_lab_result
from patients.services.reminders.loop import mark_missed_doses
from patients.web import staff as staff_pages
from tests.conftest import f
from tests.web.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


# --- front door, sign-in, sign-out ------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [("staff", "/worklist/"), ("lead", "/worklist/"), ("parent1", "/portal/")],
)
def test_each_role_lands_on_its_own_home_page(signed_in, username, lands_on):
    client = signed_in(username)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200


def test_anonymous_is_sent_to_the_sign_in_page(client, demo):
    response = client.get("/worklist/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=/worklist/")


def test_sign_in_page_signs_in_and_out(client, demo):
    page = client.get("/sign-in/")
    assert page.status_code == 200
    assert 'for="id_username"' in _text(page) and 'for="id_password"' in _text(page)
    response = client.post("/sign-in/", {"username": "parent1", "password": "demo-parent-pass"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/portal/").status_code == 200
    assert client.post("/sign-out/").status_code == 302
    assert client.get("/portal/").status_code == 302


def test_wrong_password_is_an_error_on_the_page(client, demo):
    response = client.post("/sign-in/", {"username": "parent1", "password": "wrong"})
    assert response.status_code == 200
    assert 'role="alert"' in _text(response)


def test_lock_out_is_a_readable_page_in_the_readers_language(client, demo, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(3):
        client.post("/sign-in/", {"username": "parent2", "password": "wrong"})
    response = client.post(
        "/sign-in/",
        {"username": "parent2", "password": "demo-parent-pass"},
        HTTP_ACCEPT_LANGUAGE="tr",
    )
    assert response.status_code == 429
    assert "text/html" in response["Content-Type"]
    assert "Oturum açma duraklatıldı" in _text(response)
    # The right password during the lock-out did not sign in.
    assert client.get("/portal/").status_code == 302


def test_language_switch_turns_the_pages_turkish(signed_in):
    client = signed_in("parent1")
    response = client.post("/i18n/setlang/", {"language": "tr", "next": "/portal/"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    page = client.get("/portal/")
    assert '<html lang="tr">' in _text(page)
    assert "Çocuklarım" in _text(page)


def test_navigation_follows_the_role(signed_in):
    staff_page = _text(signed_in("staff").get("/worklist/"))
    assert 'href="/infants/"' in staff_page and 'href="/portal/"' not in staff_page
    parent_page = _text(signed_in("parent1").get("/portal/"))
    assert 'href="/portal/preferences/"' in parent_page and 'href="/infants/"' not in parent_page


# --- scope: out of scope is 404 -----------------------------------------------------------------


def test_staff_of_another_clinic_gets_404_for_the_infant(client, demo, infant_p1):
    stranger = f.member(f.ClinicFactory(name="Clinic 2"), "staff", username="staff-c2")
    client.force_login(stranger)
    assert client.get(f"/infants/{infant_p1.pk}/").status_code == 404
    listing = _text(client.get("/infants/"))
    assert "S000-P1" not in listing and "S000-P2" not in listing
    worklist = _text(client.get("/worklist/"))
    assert "S000-P1" not in worklist and "S000-P2" not in worklist


def test_guardian_gets_404_for_another_child_and_for_staff_pages(signed_in, infant_p1, infant_p2):
    client = signed_in("parent2")
    assert client.get(f"/portal/children/{infant_p1.pk}/").status_code == 404
    assert client.get(f"/portal/children/{infant_p2.pk}/").status_code == 200
    assert client.get(f"/infants/{infant_p2.pk}/").status_code == 404
    assert client.get("/worklist/").status_code == 404


def test_guardian_sees_only_their_own_child(signed_in, infant_p1, infant_p2):
    page = _text(signed_in("parent1").get("/portal/"))
    assert infant_p1.given_name in page
    assert infant_p2.given_name not in page
    assert f"/api/v1/infants/{infant_p1.pk}/reports/take-home-plan.pdf" in page


def test_staff_is_not_a_guardian(signed_in):
    assert signed_in("staff").get("/portal/").status_code == 404


# --- staff pages ----------------------------------------------------------------------------------


def test_worklist_shows_the_demos_open_alerts_and_review_tasks(signed_in, infant_p1, infant_p2):
    page = _text(signed_in("lead").get("/worklist/"))
    open_alerts = m.Alert.objects.filter(
        resolved_at__isnull=True, infant__in=[infant_p1, infant_p2]
    )
    assert open_alerts.exists()
    for alert in open_alerts[:5]:
        assert f'action="/alerts/{alert.pk}/acknowledge/"' in page
    assert f'href="/infants/{infant_p1.pk}/"' in page
    assert f'href="/infants/{infant_p2.pk}/"' in page


def test_worklist_lists_doses_due_today_missed_doses_and_failed_messages(signed_in, infant_p1):
    dose = (
        m.PlannedDose.objects.filter(course__infant=infant_p1, status=PlannedDoseStatus.PLANNED)
        .order_by("due_on")
        .first()
    )
    # The next monthly dose, moved to today; the one after it, moved to yesterday and left unrecorded.
    m.PlannedDose.objects.filter(pk=dose.pk).update(due_on=DEMO_DAY)
    later = (
        m.PlannedDose.objects.filter(course__infant=infant_p1, status=PlannedDoseStatus.PLANNED)
        .exclude(pk=dose.pk)
        .order_by("due_on")
        .first()
    )
    m.PlannedDose.objects.filter(pk=later.pk).update(due_on=DEMO_DAY - datetime.timedelta(days=1))
    assert mark_missed_doses(now=timezone.now()) == 1
    message = m.PlannedMessage.objects.filter(infant=infant_p1).first()
    m.PlannedMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, attempts=5, last_error="gateway timeout"
    )

    page = _text(signed_in("staff").get("/worklist/"))

    due_today = page.split('id="due-today"')[1].split("</section>")[0]
    assert f"dose {dose.number}," in due_today
    missed = page.split('id="missed"')[1].split("</section>")[0]
    assert f"dose {later.number} due" in missed
    failed = page.split('id="failed"')[1].split("</section>")[0]
    assert "gateway timeout" in failed
    assert f'href="/infants/{infant_p1.pk}/#messages-sent"' in failed
    assert f'href="/infants/{infant_p1.pk}/visits/new/"' in due_today
    assert f'/courses/{later.course_id}/#record-missed"' in missed


def test_infant_list_searches_by_name_record_number_and_guardian_phone(signed_in, infant_p1):
    client = signed_in("staff")
    for query in ("Yıldız", "S000-P1", "0532 000 00 01", "+90 532 000 0001"):
        page = _text(client.get("/infants/", {"q": query}))
        assert "S000-P1" in page, query
        assert "S000-P2" not in page, query
    both = _text(client.get("/infants/", {"alert": "1", "status": "active"}))
    assert "S000-P1" in both and "S000-P2" in both
    none = _text(client.get("/infants/", {"status": "deceased"}))
    assert "S000-P1" not in none


def test_infant_page_shows_header_timeline_charts_schedule_and_messages(signed_in, infant_p1):
    client = signed_in("staff")
    response = client.get(f"/infants/{infant_p1.pk}/")
    assert response.status_code == 200
    page = _text(response)
    assert "S000-P1" in page
    assert "38 months 17 days" in page  # born 2023-09-04, seen 2026-11-21
    assert "monthly" in page  # the phase of the next planned dose
    assert f"/api/v1/infants/{infant_p1.pk}/charts/growth-wfa.svg" in page
    assert 'alt=""' not in page
    assert "Routine follow-up" in page  # the booked visit
    assert "MRI" in page  # an imaging study in the timeline
    assert 'id="messages-sent"' in page
    # The chart the page names is the one the browser then gets, with the viewer's session.
    chart = client.get(f"/api/v1/infants/{infant_p1.pk}/charts/labs.svg")
    assert chart.status_code == 200 and chart["Content-Type"].startswith("image/svg+xml")


def test_infant_page_lists_the_messages_to_the_guardians_as_sent(signed_in, infant_p1):
    messages = m.PlannedMessage.objects.filter(infant=infant_p1).order_by(
        "-due_at", "kind", "channel"
    )
    failed, seen = messages[0], messages[1]
    m.PlannedMessage.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, attempts=5, last_error="gateway timeout"
    )
    m.PlannedMessage.objects.filter(pk=seen.pk).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        attempts=1,
        provider_message_id="SM-0042",
        acknowledged_at=timezone.now(),
    )
    section = _text(signed_in("staff").get(f"/infants/{infant_p1.pk}/")).split(
        'id="messages-sent"'
    )[1]
    rows = section.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == min(messages.count(), staff_pages.MESSAGES_SHOWN)
    newest, second = (re.sub(r"\s+", " ", html.unescape(row)) for row in rows[:2])
    failed.refresh_from_db()
    assert f"{failed.get_kind_display()} ({failed.get_channel_display()})" in newest
    assert f"<td>{failed.guardian}</td>" in newest
    assert "Failed" in newest and "gateway timeout" in newest and "<td>5</td>" in newest
    assert "<td>\N{EN DASH}</td>" in newest  # no provider id
    assert "Sent · seen" in second and "<td>SM-0042</td>" in second and "<td>1</td>" in second


def test_timeline_shows_growth_with_its_stored_z_scores_and_lab_flags(signed_in, infant_p1):
    page = _text(signed_in("staff").get(f"/infants/{infant_p1.pk}/"))
    # Admission: 8.6 kg, scored by the growth service against WHO 2006 and stored.
    stored = m.GrowthScore.objects.get(
        measurement__infant=infant_p1,
        measurement__weight_kg=Decimal("8.6"),
        indicator="wfa",
        reference_name__startswith="WHO",
    )
    assert "weight 8.6 kg" in page
    assert f"Weight-for-age z {stored.z:+.2f}" in page
    # "<150 pg/mL" against the laboratory's printed 197-866 pg/mL.
    assert "(low)" in page


def test_the_timeline_shows_the_newest_entries_and_links_to_the_whole_of_it(
    signed_in, infant_p1, monkeypatch
):
    client = signed_in("staff")

    def timeline_of(response) -> list[str]:
        section = _text(response).split('id="timeline"')[1].split("</section>")[0]
        return re.findall(r'<time datetime="([0-9-]+)"', section)

    whole = timeline_of(client.get(f"/infants/{infant_p1.pk}/?timeline=all"))
    assert len(whole) > 5
    monkeypatch.setattr(staff_pages, "TIMELINE_SHOWN", 5)

    response = client.get(f"/infants/{infant_p1.pk}/")
    # The five newest of the whole timeline, whichever kinds of record they are.
    assert timeline_of(response) == whole[:5]
    assert "The newest 5 entries are shown: show the whole timeline" in _text(response)
    assert 'href="?timeline=all#timeline"' in _text(response)
    # The whole of it says nothing is left out.
    everything = client.get(f"/infants/{infant_p1.pk}/?timeline=all")
    assert timeline_of(everything) == whole
    assert "show the whole timeline" not in _text(everything)


def test_infant_page_words_the_chart_alt_text_without_drawing(signed_in, infant_p1, monkeypatch):
    cache.clear()  # no chart drawn by an earlier test
    drawn = []
    real = chart_render.figure_bytes
    monkeypatch.setattr(
        chart_render, "figure_bytes", lambda *a, **k: drawn.append(a) or real(*a, **k)
    )
    client = signed_in("staff")
    page = _text(client.get(f"/infants/{infant_p1.pk}/"))
    assert drawn == []
    # The words on the page are the ones the image itself carries when the browser fetches it.
    chart = client.get(f"/api/v1/infants/{infant_p1.pk}/charts/labs.svg")
    assert len(drawn) == 1
    assert f'alt="{html.escape(chart["Chart-Alt-Text"])}"' in page


#: The tables of the record the infant page shows; open alerts and messages are read apart.
_RECORD_TABLES = (
    "patients_treatmentcourse",
    "patients_planneddose",
    "patients_doseadministration",
    "patients_visit",
    "patients_growthmeasurement",
    "patients_labresult",
    "patients_imagingstudy",
    "patients_milestoneattainment",
    "patients_denverassessment",
    "patients_adverseevent",
)


def _record_reads(client, url: str, **headers) -> tuple[int, str]:
    """The statements of one request that name a table of the record, and the page."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    named = [
        q
        for q in queries
        if any(f'"{table}"' in q["sql"] for table in _RECORD_TABLES)
        # The messages name the dose they remind of: read on every request, on purpose.
        and 'FROM "patients_plannedmessage"' not in q["sql"]
    ]
    return len(named), _text(response)


def _timeline_section(page: str) -> str:
    return page.split('id="timeline"')[1].split("</section>")[0]


def test_infant_page_reads_the_record_once_until_it_changes(signed_in, demo_user, infant_p1):
    cache.clear()  # the same demo record shown by an earlier test is the same page
    client = signed_in("staff")
    url = f"/infants/{infant_p1.pk}/"
    misses, first = _record_reads(client, url)
    assert misses > 10  # the phase, what is coming up, the charts' words and each kind of record
    # Kept: nothing reads the record but the data version, which on PostgreSQL reads the number
    # the record's triggers keep and elsewhere counts the rows, in one statement.
    hits, again = _record_reads(client, url)
    assert hits == (0 if connection.vendor == "postgresql" else 1)
    assert _timeline_section(again) == _timeline_section(first)
    assert "monthly" in again and "Routine follow-up" in again

    # A new result changes the version: the page reads the record again and shows it.
    record_lab_result(
        actor=demo_user("staff"),
        infant=infant_p1,
        analyte="haemoglobin",
        collected_on=DEMO_DAY,
        value=Decimal("11.7"),
        unit="g/dL",
    )
    misses_after, changed = _record_reads(client, url)
    assert misses_after == misses
    assert "11.7" in _timeline_section(changed) and "11.7" not in _timeline_section(first)

    # Each language has its own copy; the whole timeline is not the page's short one.
    _, turkish = _record_reads(client, url, HTTP_ACCEPT_LANGUAGE="tr")
    assert "Zaman çizelgesi" in turkish and "Laboratuvar sonucu" in _timeline_section(turkish)
    _, english = _record_reads(client, url, HTTP_ACCEPT_LANGUAGE="en")
    assert "Lab result" in _timeline_section(english)
    whole_reads, _ = _record_reads(client, url + "?timeline=all")
    assert whole_reads > 10


def _messages_section(page: str) -> str:
    return page.split('id="messages-sent"')[1]


def test_the_messages_table_is_drawn_again_only_when_a_message_changes(signed_in, infant_p1):
    cache.clear()
    client = signed_in("staff")
    url = f"/infants/{infant_p1.pk}/"
    with mock.patch.object(staff_pages, "MessageRow", wraps=staff_pages.MessageRow) as drawn:
        first = _text(client.get(url))
        shown = drawn.call_count
        assert shown == min(
            m.PlannedMessage.objects.filter(infant=infant_p1).count(), staff_pages.MESSAGES_SHOWN
        )
        again = _text(client.get(url))
        assert drawn.call_count == shown  # the same rows: the kept table
        assert _messages_section(again) == _messages_section(first)

        # A send changes a row (no field of the record does): the table is drawn again.
        newest = m.PlannedMessage.objects.filter(infant=infant_p1).order_by("-due_at").first()
        m.PlannedMessage.objects.filter(pk=newest.pk).update(
            status=MessageStatus.FAILED, attempts=3, last_error="gateway timeout"
        )
        changed = _text(client.get(url))
        assert drawn.call_count == 2 * shown
    assert "gateway timeout" in _messages_section(changed)
    assert "gateway timeout" not in _messages_section(first)


def test_a_new_release_draws_the_kept_sections_again(signed_in, infant_p1, monkeypatch):
    """A fragment kept for days under its data's version would outlive a release that words it
    otherwise: every key carries the release's digest."""
    client = signed_in("staff")
    url = f"/infants/{infant_p1.pk}/"
    client.get(url)
    hits, _ = _record_reads(client, url)
    assert hits <= 1
    monkeypatch.setattr(staff_pages, "release", lambda: "a-later-release")
    with mock.patch.object(staff_pages, "MessageRow", wraps=staff_pages.MessageRow) as drawn:
        misses, _ = _record_reads(client, url)
    assert misses > 10 and drawn.call_count > 0


def test_a_repeat_view_of_the_infant_page_compiles_only_the_session_user_and_infant(
    signed_in, infant_p1
):
    """The roles, the open alerts, the messages and the data version are compiled once per
    process (patients.compiled); compiling them on every view was a third of the page."""
    client = signed_in("staff")
    url = f"/infants/{infant_p1.pk}/"
    client.get(url)
    with mock.patch.object(
        SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql
    ) as compiled:
        assert client.get(url).status_code == 200
    models = {call.args[0].query.model for call in compiled.call_args_list}
    assert models == {Session, m.User, m.Infant}


def _roles_read(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    tables = ('"patients_clinicmembership"', '"patients_guardian"')
    return sum(any(t in q["sql"] for t in tables) for q in queries), _text(response)


def test_the_navigation_reads_roles_and_guardianship_in_one_query(signed_in, demo_user):
    """A member of staff who is also a parent gets the portal's links beside the clinic's;
    what the navigation shows is read in the one query that reads the reader's roles."""
    client = signed_in("staff")
    url = reverse("web:password-change")  # a page with nothing of its own to read
    reads, page = _roles_read(client, url)
    assert reads == 1 and "My children" not in page and "Worklist" in page

    guardian = m.Guardian.objects.create(user=demo_user("staff"), email="staff@example.org")
    reads, page = _roles_read(client, url)
    assert reads == 1 and "My children" in page and "Worklist" in page

    m.Guardian.objects.filter(pk=guardian.pk).update(
        voided_at=timezone.now(), void_reason="Registered twice"
    )
    _, page = _roles_read(client, url)
    assert "My children" not in page
    _, page = _roles_read(signed_in("parent1"), "/portal/")
    assert "My children" in page and "Worklist" not in page


def test_a_long_worklist_section_is_counted_only_so_far(signed_in, infant_p1, monkeypatch):
    from patients.web import staff

    open_alerts = m.Alert.objects.filter(
        resolved_at__isnull=True, infant__clinic=infant_p1.clinic
    ).count()
    assert open_alerts >= 3
    client = signed_in("staff")
    monkeypatch.setattr(staff, "WORKLIST_ROWS", 1)
    monkeypatch.setattr(staff, "COUNT_UP_TO", open_alerts)
    exact = _text(client.get("/worklist/")).split('id="alerts"')[1].split("</section>")[0]
    assert f'<span class="count">{open_alerts}</span>' in exact
    assert f"and {open_alerts - 1} more" in exact

    monkeypatch.setattr(staff, "COUNT_UP_TO", open_alerts - 1)
    capped = _text(client.get("/worklist/")).split('id="alerts"')[1].split("</section>")[0]
    assert f'<span class="count">{open_alerts - 1}+</span>' in capped
    assert f"and more than {open_alerts - 2} more" in capped


def test_every_worklist_item_is_one_click_from_its_action(signed_in, infant_p1):
    page = _text(signed_in("staff").get("/worklist/"))
    alert = m.Alert.objects.filter(infant=infant_p1, resolved_at__isnull=True).first()
    assert alert is not None
    assert f'action="/alerts/{alert.pk}/acknowledge/"' in page
    # Clinic staff act on the pages, not in the admin.
    assert "/admin/patients/" not in page


def test_staff_acknowledge_an_alert_and_go_back_where_they_were(signed_in, demo_user, infant_p1):
    client = signed_in("staff")
    alert = m.Alert.objects.filter(infant=infant_p1, acknowledged_at__isnull=True).first()
    history = alert.history.count()
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 405
    back = f"/infants/{infant_p1.pk}/"
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    alert.refresh_from_db()
    assert alert.acknowledged_by == demo_user("staff") and alert.resolved_at is None
    assert alert.history.count() == history + 1
    assert "seen by" in _text(client.get(back))
    # Somewhere else than this site is not a place to go back to.
    other = m.Alert.objects.filter(infant=infant_p1, acknowledged_at__isnull=True).first()
    if other is not None:
        away = client.post(f"/alerts/{other.pk}/acknowledge/", {"next": "https://example.com/"})
        assert away["Location"] == "/worklist/"


def test_an_alert_outside_the_reader_s_scope_cannot_be_acknowledged(signed_in, infant_p1):
    alert = m.Alert.objects.filter(infant=infant_p1).first()
    assert signed_in("parent1").post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_infant_page_read_writes_the_access_log(signed_in, demo_user, infant_p1):
    client = signed_in("staff")
    before = m.RecordAccess.objects.count()
    client.get(f"/infants/{infant_p1.pk}/", REMOTE_ADDR="10.0.0.7")
    row = m.RecordAccess.objects.filter(resource="patients.infant", infant=infant_p1).latest("pk")
    assert row.user == demo_user("staff")
    assert row.action == "read"
    assert row.ip_address == "10.0.0.7"
    assert row.path == f"/infants/{infant_p1.pk}/"
    assert m.RecordAccess.objects.count() > before


def test_refused_infant_page_leaves_no_access_log(client, demo, infant_p1):
    client.force_login(f.member(f.ClinicFactory(name="Clinic 3"), "staff", username="staff-c3"))
    before = m.RecordAccess.objects.filter(infant=infant_p1).count()
    assert client.get(f"/infants/{infant_p1.pk}/").status_code == 404
    assert m.RecordAccess.objects.filter(infant=infant_p1).count() == before


# --- parent portal --------------------------------------------------------------------------------


def test_portal_shows_next_doses_and_visits(signed_in, infant_p1):
    page = _text(signed_in("parent1").get("/portal/"))
    assert "2026-11-22" in page  # the next monthly dose
    assert "2026-12-03" in page  # the booked follow-up visit (demo day + 12)


def _sent_reminder(guardian_username: str) -> m.PlannedMessage:
    message = m.PlannedMessage.objects.filter(guardian__user__username=guardian_username).first()
    m.PlannedMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=timezone.now(), attempts=1
    )
    return message


def test_acknowledge_marks_the_reminder_seen(signed_in):
    message = _sent_reminder("parent1")
    client = signed_in("parent1")
    page = _text(client.get("/portal/"))
    assert f"/portal/reminders/{message.pk}/seen/" in page
    response = client.post(f"/portal/reminders/{message.pk}/seen/", follow=True)
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.acknowledged_at is not None
    assert f"/portal/reminders/{message.pk}/seen/" not in _text(response)


def test_acknowledge_needs_post_and_the_guardians_own_reminder(signed_in):
    message = _sent_reminder("parent1")
    assert signed_in("parent1").get(f"/portal/reminders/{message.pk}/seen/").status_code == 405
    assert signed_in("parent2").post(f"/portal/reminders/{message.pk}/seen/").status_code == 404
    message.refresh_from_db()
    assert message.acknowledged_at is None


def test_acknowledge_is_refused_without_the_csrf_token(client, demo_user):
    from django.test import Client

    message = _sent_reminder("parent1")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(demo_user("parent1"))
    assert strict.post(f"/portal/reminders/{message.pk}/seen/").status_code == 403


def _preferences(**overrides) -> dict:
    data = {
        "language": "en",
        "time_zone": "Europe/Berlin",
        "sms_enabled": "on",
        "evening_reminder_at": "20:30",
        "morning_reminder_at": "",
        "quiet_hours_start": "23:00",
        "quiet_hours_end": "06:30",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_preferences_form_saves_through_the_service(signed_in, demo_user):
    client = signed_in("parent1")
    page = _text(client.get("/portal/preferences/"))
    assert 'for="id_time_zone"' in page and 'type="time"' in page
    response = client.post("/portal/preferences/", _preferences())
    assert response.status_code == 302
    guardian = m.Guardian.objects.get(user=demo_user("parent1"))
    assert guardian.time_zone == "Europe/Berlin"
    assert guardian.language == "en"
    assert guardian.email_enabled is False and guardian.sms_enabled is True
    assert guardian.evening_reminder_at == datetime.time(20, 30)
    assert guardian.morning_reminder_at is None
    assert guardian.quiet_hours_end == datetime.time(6, 30)
    # The history names the guardian as the one who changed it.
    assert guardian.history.latest().history_user == demo_user("parent1")
    # The re-plan ran: no pending morning-of reminder is left for this guardian.
    assert not m.PlannedMessage.objects.filter(
        guardian=guardian, kind__endswith="morning_of", status=MessageStatus.PENDING
    ).exists()


def test_preferences_form_shows_errors_inline_and_changes_nothing(signed_in, demo_user):
    client = signed_in("parent1")
    guardian = m.Guardian.objects.get(user=demo_user("parent1"))
    response = client.post(
        "/portal/preferences/",
        _preferences(time_zone="Mars/Olympus", evening_reminder_at="25:00", quiet_hours_end=""),
    )
    assert response.status_code == 200
    page = _text(response)
    assert page.count('aria-invalid="true"') == 3
    assert 'id="id_time_zone_error"' in page
    assert 'id="id_evening_reminder_at_error"' in page
    assert "Give both the start and the end of the quiet hours." in page
    guardian.refresh_from_db()
    assert guardian.time_zone == "Europe/Istanbul"


def test_calendar_link_is_issued_with_a_qr_code(signed_in, demo_user):
    client = signed_in("parent1")
    guardian = m.Guardian.objects.get(user=demo_user("parent1"))
    assert "Get my calendar link" in _text(client.get("/portal/calendar/"))
    assert client.get("/portal/calendar/qr.svg").status_code == 404

    response = client.post("/portal/calendar/", follow=True)
    feed = m.CalendarFeed.objects.get(guardian=guardian, revoked_at__isnull=True)
    page = _text(response)
    assert f'href="webcal://testserver/calendar/{feed.token}.ics"' in page
    assert f'value="http://testserver/calendar/{feed.token}.ics"' in page
    assert "no-store" in response["Cache-Control"]
    guardian.refresh_from_db()
    assert guardian.calendar_enabled is True

    qr = client.get("/portal/calendar/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    # The link works for the calendar app, which has no session.
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200

    # A new link retires the old one at once.
    client.post("/portal/calendar/")
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_pages_carry_no_inline_script_or_style(signed_in, infant_p1):
    staff = signed_in("staff")
    pages = [
        staff.get("/worklist/"),
        staff.get("/infants/"),
        staff.get(f"/infants/{infant_p1.pk}/"),
    ]
    parent = signed_in("parent1")
    pages += [parent.get(u) for u in ("/portal/", "/portal/preferences/", "/portal/calendar/")]
    for response in pages:
        html = _text(response)
        assert "<script" not in html and "<style" not in html and " style=" not in html
        assert "style-src 'self'" in response["Content-Security-Policy"]
