"""A real browser (Debian's Chromium, driven by Playwright) against the live test server.

The live server answers from another thread, so the demo has to be committed for it to see: the
browser tests load it inside each test under `django_db(transaction=True)` instead of the rolled-back
package-wide demo of tests/web. Playwright's sync API keeps an event loop running in the test's
thread, which makes Django refuse ORM calls there as "async-unsafe"; nothing in these tests runs
concurrently with that loop, so the check is switched off for as long as the browser is open.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from django.utils import timezone

from patients.services.demo import load_demo

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# The desktop and the phone the pages are designed for: a laptop screen and a current iPhone.
VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


def require_browser() -> None:
    """Called at the top of each browser test module: skip it where Chromium or Playwright is not
    installed, except in CI (CI=true), where a missing browser is a failure."""
    missing = [
        what
        for what, present in (
            (CHROMIUM, os.path.exists(CHROMIUM)),
            ("the playwright Python package", importlib.util.find_spec("playwright") is not None),
        )
        if not present
    ]
    if missing:
        reason = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must not skip them)", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def _async_unsafe_allowed():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # The suite runs as root in CI, where Chromium's sandbox cannot start.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(live_server):
    """The demo, committed, as of the real today (the pages compute "due" from the real clock)."""
    return load_demo(today=timezone.localdate())


class Visit:
    """One person's browser tab, with every console message it logged and, apart, its errors
    (console errors, failed loads and uncaught exceptions), which a walkthrough expects none of."""

    def __init__(self, context, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._logged)
        self.page.on("pageerror", self._uncaught)

    def _logged(self, message) -> None:
        self.console.append(message.text)
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def _uncaught(self, error) -> None:
        self.console.append(str(error))
        self.errors.append(str(error))

    def go(self, path: str):
        return self.page.goto(self.base_url + path)

    def sign_in(self, username: str, password: str) -> None:
        self.go("/sign-in/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main form button[type=submit]")
        assert "/sign-in/" not in self.page.url, f"{username} was not signed in"

    def csp_violations(self) -> list[str]:
        return [
            text
            for text in self.console
            if "content security policy" in text.lower()
            or "content-security-policy" in text.lower()
        ]

    def screenshot(self, name: str) -> None:
        """The current page, whole, at the desktop and the phone widths."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, size in VIEWPORTS.items():
            self.page.set_viewport_size(size)
            self.page.wait_for_load_state("load")
            self.page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
        self.page.set_viewport_size(VIEWPORTS["1280"])


@pytest.fixture
def visit(browser, live_server):
    """Opens a fresh browser session (own cookies) for one person; closes them all at the end."""
    contexts = []

    def open_visit() -> Visit:
        context = browser.new_context(viewport=VIEWPORTS["1280"])
        contexts.append(context)
        return Visit(context, live_server.url)

    yield open_visit
    for context in contexts:
        context.close()
