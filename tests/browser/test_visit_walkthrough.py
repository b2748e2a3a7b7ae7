"""Logging a visit in a real browser: staff signs in, opens seed 000's patient 2, sees the z-scores
appear while typing (the script at work under the page's CSP), submits once with a mistake and gets
it back inline with everything typed still there, then logs the whole visit and finds it on the
timeline. The page is photographed at the desktop and phone widths
(artifacts/screenshots/log-visit*-<width>.png).

Skipped where Chromium or Playwright is not installed, except in CI (CI=true).
"""

from __future__ import annotations

import datetime

import pytest

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.models.treatment import PlannedDoseStatus
from patients.services.treatment import start_course
from tests.browser.conftest import VIEWPORTS, require_browser

require_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_FITS_THE_WIDTH = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def dose_due_today(demo) -> m.PlannedDose:
    """Patient 2's course ended at 18 months; a maintenance course started ten days ago on
    alternate days has a dose due today."""
    infant = m.Infant.objects.select_related("clinic").get(record_number="S000-P2")
    today = infant.clinic.today()
    staff = m.User.objects.get(username="staff")
    course = start_course(
        infant=infant,
        actor=staff,
        regimen=load_shipped_regimens()["with-neurological-involvement"],
        started_on=today - datetime.timedelta(days=10),
        indication="Relapse of B12 deficiency",
        today=today,
    )
    return course.planned_doses.get(due_on=today, status=PlannedDoseStatus.PLANNED)


def test_staff_logs_a_visit_with_live_z_scores_and_inline_errors(demo, dose_due_today, visit):
    infant = m.Infant.objects.get(record_number="S000-P2")
    tab = visit()
    page = tab.page
    tab.sign_in("staff", "demo-staff-pass")
    tab.go("/infants/")
    with page.expect_navigation():
        page.locator("table.list tbody tr", has_text="S000-P2").locator("a").click()
    with page.expect_navigation():
        page.click("text=Log a visit")
    assert page.url.endswith(f"/infants/{infant.pk}/visits/new/")
    assert "Age line" in page.locator("#denver-section").inner_text()
    tab.screenshot("log-visit")
    for width, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        assert page.evaluate(_FITS_THE_WIDTH), f"the page scrolls sideways at {width} px"
    page.set_viewport_size(VIEWPORTS["1280"])

    # The z-scores appear while typing: the script asked the server, nothing was submitted.
    scores = page.locator("#growth-zscores")
    page.fill("#id_growth-weight_kg", "45")
    scores.get_by_text("Weight-for-age").wait_for()
    assert "implausible" in scores.inner_text()
    page.fill("#id_growth-length_cm", "95.2")
    page.fill("#id_growth-head_circumference_cm", "48")
    page.fill("#id_visit-reason", "Follow-up of the relapse")
    # Choosing the analyte offers its units only, and picks the first.
    page.select_option("#id_labs-0-analyte", "anc")
    assert page.input_value("#id_labs-0-unit") == "10^9/L"
    page.fill("#id_labs-0-value", "1.2")

    with page.expect_navigation():
        page.click("button[type=submit].primary")
    summary = page.locator("#error-summary")
    assert "Nothing was saved" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "plausible" in page.locator("#id_growth-weight_kg_error").inner_text()
    assert page.get_attribute("#id_growth-weight_kg", "aria-invalid") == "true"
    assert page.input_value("#id_growth-weight_kg") == "45"
    assert page.input_value("#id_visit-reason") == "Follow-up of the relapse"
    assert page.input_value("#id_labs-0-value") == "1.2"
    assert "Weight-for-age" in scores.inner_text()  # shown again with the page, before typing
    assert m.Visit.objects.filter(infant=infant, reason="Follow-up of the relapse").count() == 0
    tab.screenshot("log-visit-errors")

    page.fill("#id_growth-weight_kg", "13.1")
    page.wait_for_function(
        "() => !document.getElementById('growth-zscores').innerText.includes('implausible')"
    )
    # A second lab result, on a row revealed from the keyboard.
    page.focus("#labs-section [data-add-row]")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "id_labs-2-analyte"
    page.select_option("#id_labs-1-analyte", "haemoglobin")
    page.fill("#id_labs-1-value", "11.8")
    page.check(f"input[name='dose-planned_dose'][value='{dose_due_today.pk}']")
    page.select_option("#id_dose-site", "left_thigh")
    sectors = page.locator("#denver-section fieldset.sector")
    assert sectors.count() == 4
    for index in range(4):
        sectors.nth(index).locator("select").first.select_option("P")
    page.fill("#id_imaging-impression", "Normal myelination for age; no atrophy.")
    page.select_option("#id_imaging-comparison", "unchanged")
    page.select_option("#id_findings-0-finding_type", "no_abnormality")
    page.select_option("#id_findings-0-region", "whole_study")
    page.select_option("#id_findings-0-side", "na")
    page.select_option("#id_findings-0-severity", "na")
    page.select_option("#id_adverse-event_type", "injection_site_reaction")
    page.select_option("#id_adverse-severity", "mild")

    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.url.endswith(f"/infants/{infant.pk}/")
    message = page.locator("ul.messages").inner_text()
    assert "is saved" in message and "Absolute neutrophil count 1.2 10^9/L: Low" in message
    timeline = page.locator("ol.timeline").inner_text()
    assert "Outpatient visit: Follow-up of the relapse" in timeline
    assert "Injection-site reaction (Mild)" in timeline
    assert "Normal myelination for age; no atrophy." in timeline
    given = m.DoseAdministration.objects.get(planned_dose=dose_due_today)
    assert given.site == "left_thigh"
    assert (
        m.DenverAssessment.objects.get(
            visit__reason="Follow-up of the relapse"
        ).item_results.count()
        == 4
    )

    assert tab.csp_violations() == []
    assert tab.errors == []
