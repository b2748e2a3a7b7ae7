"""The clinic lead's cohort dashboard and a parent's password reset, in a real browser: the lead
signs in, opens the dashboard from the navigation, sees every chart drawn with its alt text, filters
and sees the charts drawn again for the filter; staff get 404; a parent follows the link of the
reset e-mail and signs in with the new password. Pages are photographed at the desktop and phone
widths (artifacts/screenshots/<page>-<width>.png).

Skipped where Chromium or Playwright is not installed, except in CI (CI=true).
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone

from patients.services.charts import COHORT_CHARTS
from patients.services.cohort import generate_cohort
from patients.services.demo import CLINIC_NAME
from tests.browser.conftest import require_browser

require_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Drawing the five cohort charts on the first visit imports lifelines and scipy: seconds on a
# busy machine, which the default 30 s navigation timeout leaves too little room for.
SLOW_PAGE_MS = 120_000

# Charts are lazy images: scroll each into view and wait until it is decoded (or failed).
_CHART_IMAGES = """async () => {
  const images = Array.from(document.querySelectorAll(".charts img"));
  for (const img of images) {
    img.scrollIntoView();
    if (!img.complete) await new Promise((done) => { img.onload = img.onerror = done; });
  }
  window.scrollTo(0, 0);
  return images.map((img) => ({src: img.getAttribute("src"), alt: img.alt, width: img.naturalWidth}));
}"""


def _charts(page) -> list[dict]:
    charts = page.evaluate(_CHART_IMAGES)
    assert [re.sub(r"\.svg(\?.*)?$", "", c["src"].rsplit("/", 1)[1]) for c in charts] == list(
        COHORT_CHARTS
    )
    for chart in charts:
        assert chart["width"] > 0, f"chart not drawn: {chart['src']}"
        assert len(chart["alt"]) > 40, f"no alt text: {chart['src']}"
    return charts


@pytest.fixture
def cohort(demo):
    """Forty synthetic infants in the demo's clinic, so that groups of 5 and more are drawn."""
    clinic = demo.clinic
    assert clinic.name == CLINIC_NAME
    generate_cohort(infants=40, clinic=clinic, seed=11, today=timezone.localdate())
    return demo


def test_lead_opens_the_cohort_dashboard_and_filters_the_charts(cohort, visit):
    tab = visit()
    page = tab.page
    page.set_default_timeout(SLOW_PAGE_MS)
    errors = tab.errors

    tab.sign_in("lead", "demo-lead-pass")
    with page.expect_navigation():
        page.click("header nav a[href='/cohort/']")
    assert page.url.endswith("/cohort/")
    assert page.locator("main h1").inner_text() == "Cohort"
    unfiltered = _charts(page)
    assert all("?" not in chart["src"] for chart in unfiltered)
    assert page.locator("#by-follow-up tbody tr").count() > 0
    assert page.locator("a[href='/api/v1/exports/cohort.csv']").count() == 1
    tab.screenshot("cohort")

    page.select_option("#id_sex", "female")
    with page.expect_navigation():
        page.click("main form.cohort-filters button[type=submit]")
    assert "sex=female" in page.url
    assert page.locator("#id_sex").input_value() == "female"
    filtered = _charts(page)
    assert all(chart["src"].endswith("?sex=female") for chart in filtered)
    # The charts were drawn again for the filter: their descriptions name it.
    assert all("girls" in chart["alt"] for chart in filtered)
    assert [c["alt"] for c in filtered] != [c["alt"] for c in unfiltered]
    tab.screenshot("cohort-filtered")

    page.fill("#id_diagnosis_age_min_months", "13")
    page.fill("#id_diagnosis_age_max_months", "10")
    with page.expect_navigation():
        page.click("main form.cohort-filters button[type=submit]")
    assert page.locator("#id_diagnosis_age_max_months_error").is_visible()
    assert page.locator(".charts img").count() == 0
    tab.screenshot("cohort-bad-filter")

    assert errors == []
    assert tab.csp_violations() == []


def test_staff_get_not_found_for_the_cohort_dashboard(demo, visit):
    tab = visit()
    tab.sign_in("staff", "demo-staff-pass")
    assert tab.page.locator("header nav a[href='/cohort/']").count() == 0
    response = tab.go("/cohort/")
    assert response.status == 404


def test_parent_sets_a_new_password_through_the_e_mail_link(demo, visit):
    tab = visit()
    page = tab.page
    errors = tab.errors

    tab.go("/sign-in/")
    with page.expect_navigation():
        page.click("main a[href='/password/reset/']")
    tab.screenshot("password-reset")
    page.fill("#id_email", "parent1@example.org")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/password/reset/sent/")
    tab.screenshot("password-reset-sent")

    # The live server answers from a thread of this process: its locmem outbox is this one.
    (message,) = mail.outbox
    assert message.to == ["parent1@example.org"]
    assert message.subject == "B12 izlem: yeni parola belirleyin"  # the guardian reads Turkish
    link = re.search(r"https?://\S+/password/reset/\S+/\S+/", message.body).group(0)
    assert link.startswith(tab.base_url)

    page.goto(link)
    assert page.url.endswith("/password/reset/" + link.split("/")[-3] + "/set-password/")
    tab.screenshot("password-reset-confirm")
    page.fill("#id_new_password1", "kirmizi-balon-2026")
    page.fill("#id_new_password2", "kirmizi-balon-2026")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/password/reset/complete/")
    tab.screenshot("password-reset-complete")

    with page.expect_navigation():
        page.click("main a[href='/sign-in/']")
    tab.sign_in("parent1", "kirmizi-balon-2026")
    page.goto(tab.base_url + "/")
    assert page.url.endswith("/portal/")

    assert errors == []
    assert tab.csp_violations() == []
