"""Real Chromium on a phone-sized screen: a leader picks a function and a format on the reality
report page and the report opens, with no script error and no request leaving the server."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_pick_a_scope_and_open_the_report_on_a_phone(live_server: str) -> None:
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None,
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            ARTIFACTS.mkdir(exist_ok=True)
            page.goto(live_server + "/login?next=/reports")
            page.locator("#email").fill(STAFF["leader"][0])
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(live_server + "/reports")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the reports page is {width}px wide"
            page.screenshot(path=str(ARTIFACTS / "reports-phone.png"), full_page=True)

            scope = page.get_by_label("Scope", exact=True)
            function = scope.locator("optgroup[label=Function] option").first.get_attribute("value")
            assert function and function.startswith("function:")
            scope.select_option(function)
            page.get_by_label("Web page (HTML)").check()
            page.get_by_role("button", name="Build the report").click()
            page.wait_for_url("**/reports/file?**")
            heading = page.get_by_text(f"Function: {function.partition(':')[2]}").first
            heading.wait_for()
            page.screenshot(path=str(ARTIFACTS / "reports-function-phone.png"))
        finally:
            browser.close()
    assert outside == [] and errors == []
