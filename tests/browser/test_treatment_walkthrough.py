"""The treatment must-show in a real browser: staff sign in through the sign-in page, start a
course from its calendar preview, record a missed dose on the course page, and see the calendar
re-planned. Both pages are photographed at the desktop and the phone widths
(artifacts/screenshots/course-start-<width>.png, course-<width>.png) for review.

Skipped where Chromium or Playwright is not installed, except in CI (CI=true), as the walkthrough.
"""

from __future__ import annotations

import datetime

import pytest

from patients import models as m
from patients.services.regimens import sync_shipped_regimens
from tests.browser.conftest import require_browser
from tests.conftest import f

require_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def newborn(demo):
    """A nine-month-old just diagnosed in the demo clinic, with no course yet."""
    # The shipped regimens are rows written after migrate; a flushed test database lost them.
    sync_shipped_regimens()
    clinic = m.Clinic.objects.get(name=demo.clinic.name)
    return f.InfantFactory(
        clinic=clinic,
        record_number="S000-N1",
        given_name="Ayşe",
        family_name="Kaya",
        birth_date=clinic.today() - datetime.timedelta(days=275),
    )


def test_staff_starts_a_course_from_the_preview_and_records_a_missed_dose(newborn, visit):
    regimen = m.Regimen.objects.get(clinic__isnull=True, key="seed-000-patient-2")
    today = newborn.clinic.today()
    tab = visit()
    page = tab.page
    tab.sign_in("staff", "demo-staff-pass")
    tab.go(f"/infants/{newborn.pk}/")
    with page.expect_navigation():
        page.click("main a:text('Start a course')")
    assert page.url.endswith(f"/infants/{newborn.pk}/courses/new/")
    assert page.locator("#id_started_on").input_value() == f"{today:%Y-%m-%d}"

    page.select_option("#id_regimen", str(regimen.pk))
    with page.expect_navigation():
        page.click("button[value='preview']")
    rows = page.locator("table.calendar tbody tr")
    # Daily for a week, every 2 days for two weeks, then monthly to 18 months of therapy.
    assert rows.count() == 7 + 7 + 17
    assert rows.first.locator("time").get_attribute("datetime") == f"{today:%Y-%m-%d}"
    assert "every 2 days" in rows.nth(7).inner_text()
    assert not m.TreatmentCourse.objects.filter(infant=newborn).exists()
    tab.screenshot("course-start")

    with page.expect_navigation():
        page.click("button[value='start']")
    course = m.TreatmentCourse.objects.get(infant=newborn)
    assert page.url.endswith(f"/infants/{newborn.pk}/courses/{course.pk}/")
    assert "The course is started" in page.locator(".messages").inner_text()

    # Today's first dose was not given: it is made up tomorrow, and the daily doses follow it.
    first = course.planned_doses.get(number=1)
    assert page.locator("#id_missed-dose option:checked").inner_text() == "Choose the dose"
    page.select_option("#id_missed-dose", str(first.pk))
    page.fill("#id_missed-reason", "The family could not come today.")
    with page.expect_navigation():
        page.click("#record-missed button[type=submit]")
    assert page.url.endswith("#calendar")
    assert "Dose missed on" in page.locator(".messages").inner_text()
    coming = page.locator("#calendar table.calendar").first.locator("tbody tr")
    assert coming.nth(0).get_attribute("class") == "dose-missed"
    assert "Missed" in coming.nth(0).inner_text()
    tomorrow = today + datetime.timedelta(days=1)
    assert coming.nth(1).locator("time").get_attribute("datetime") == f"{tomorrow:%Y-%m-%d}"
    assert "moved from" in coming.nth(1).inner_text()
    assert "The family could not come today." in page.locator("main").inner_text()
    tab.screenshot("course")

    assert tab.csp_violations() == []
    assert tab.errors == []
