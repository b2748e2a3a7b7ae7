"""Issue #6, must-shows 1 and 2, in a real browser: each role signs in through the sign-in page and
walks its pages; a guardian reaches only their own child; every main page is photographed at the
desktop and the phone widths (artifacts/screenshots/<page>-<width>.png) for review.

Skipped where Chromium or Playwright is not installed, except in CI (CI=true), where a missing
browser fails the run instead of hiding it.
"""

from __future__ import annotations

import re

import pytest

from patients import models as m
from tests.browser.conftest import require_browser

require_browser()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Images are lazy; these wait until every <img> on the page is scrolled into view and decoded.
_SCROLL_IMAGES_INTO_VIEW = """async () => {
  for (const img of document.images) {
    img.scrollIntoView();
    if (!img.complete) await new Promise((done) => { img.onload = img.onerror = done; });
  }
  window.scrollTo(0, 0);
}"""
_IMAGE_WIDTHS = "() => Array.from(document.images, (img) => img.naturalWidth)"


def _loaded_image_widths(page) -> list[int]:
    page.evaluate(_SCROLL_IMAGES_INTO_VIEW)
    return page.evaluate(_IMAGE_WIDTHS)


def test_staff_walks_from_the_worklist_to_an_infant_page(demo, visit):
    infant = m.Infant.objects.get(record_number="S000-P2")
    tab = visit()
    page = tab.page

    tab.go("/sign-in/")
    tab.screenshot("sign-in")
    tab.sign_in("staff", "demo-staff-pass")
    page.goto(tab.base_url + "/")
    assert page.url.endswith("/worklist/")
    assert page.locator("main h1").inner_text() == "Worklist"
    tab.screenshot("worklist")

    with page.expect_navigation():
        page.click("header nav a[href='/infants/']")
    assert page.url.endswith("/infants/")
    assert page.locator("table.list tbody tr").count() == 2
    tab.screenshot("infant-list")

    row = page.locator("table.list tbody tr", has_text="S000-P2")
    with page.expect_navigation():
        row.locator("a").click()
    assert page.url.endswith(f"/infants/{infant.pk}/")
    assert "S000-P2" in page.locator("main h1").inner_text()
    assert page.locator("ol.timeline > li").count() > 0
    widths = _loaded_image_widths(page)
    assert page.locator(".charts img").count() > 0
    assert widths and all(width > 0 for width in widths), f"chart images not drawn: {widths}"
    tab.screenshot("infant")

    assert tab.csp_violations() == []


def test_guardian_sees_only_their_child_in_both_languages_and_gets_the_calendar_link(demo, visit):
    own = m.Infant.objects.get(record_number="S000-P1")
    other = m.Infant.objects.get(record_number="S000-P2")
    tab = visit()
    page = tab.page

    tab.sign_in("parent1", "demo-parent-pass")
    page.goto(tab.base_url + "/")
    assert page.url.endswith("/portal/")
    children = page.locator("section.child h2 a")
    assert children.count() == 1
    assert children.inner_text() == f"{own.given_name} {own.family_name}"
    assert other.given_name not in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    english_heading = page.locator("main h1").inner_text()
    tab.screenshot("portal")

    with page.expect_navigation():
        page.click("header form.language button[value='tr']")
    assert page.url.endswith("/portal/")
    assert page.locator("html").get_attribute("lang") == "tr"
    assert page.locator("main h1").inner_text() != english_heading
    assert (
        page.locator("header form.language button[value='tr']").get_attribute("aria-current")
        == "true"
    )

    with page.expect_navigation():
        children.click()
    assert page.url.endswith(f"/portal/children/{own.pk}/")
    assert page.locator("html").get_attribute("lang") == "tr"
    tab.screenshot("child")

    with page.expect_navigation():
        page.click("header nav a[href='/portal/preferences/']")
    assert page.locator("main form").count() > 0
    tab.screenshot("preferences")

    with page.expect_navigation():
        page.click("header nav a[href='/portal/calendar/']")
    assert page.url.endswith("/portal/calendar/")
    assert page.locator("#calendar-subscribe").count() == 0
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    subscribe = page.locator("#calendar-subscribe")
    assert re.fullmatch(r"webcal://\S+", subscribe.get_attribute("href"))
    assert page.locator("#calendar-url").input_value().startswith("http")
    qr = page.locator("figure.qr img")
    assert qr.count() == 1
    qr_widths = _loaded_image_widths(page)
    assert len(qr_widths) == 1 and qr_widths[0] > 0, f"QR code not drawn: {qr_widths}"
    assert page.locator("html").get_attribute("lang") == "tr"
    tab.screenshot("calendar")

    assert tab.csp_violations() == []


def test_guardian_typing_another_childs_address_gets_not_found(demo, visit):
    other = m.Infant.objects.get(record_number="S000-P2")
    tab = visit()
    tab.sign_in("parent1", "demo-parent-pass")

    response = tab.go(f"/portal/children/{other.pk}/")

    assert response.status == 404
    assert other.given_name not in tab.page.content()
    assert tab.csp_violations() == []


def test_lead_signs_in_and_reaches_the_worklist(demo, visit):
    tab = visit()
    tab.sign_in("lead", "demo-lead-pass")

    tab.go("/")

    assert tab.page.url.endswith("/worklist/")
    assert tab.page.locator("main h1").inner_text() == "Worklist"
    assert tab.csp_violations() == []
