"""Real Chromium on a phone-sized screen: each success-criteria and what's-working page is
used the way a leader uses it (define, read, revise, log a win), with no script errors, no
request leaving the server and no page wider than the phone."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_define_revise_and_log_a_win_on_a_phone(live_server: str):
    from playwright.sync_api import Page, sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    start = dt.date.today() - dt.timedelta(days=7)

    def fits(page: Page, name: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width}px wide on a {PHONE['width']}px phone"
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)

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
            page.goto(live_server + "/login?next=/criteria")
            page.locator("#email").fill(STAFF["leader"][0])
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(live_server + "/criteria")
            page.get_by_role("link", name="Define a success criterion").click()
            page.wait_for_url(live_server + "/criteria/new")  # measure the new page, not the old
            fits(page, "criterion-new")

            page.get_by_label("Rollout phase").fill("Copilot for all engineers")
            page.get_by_label("Phase starts on").fill(start.isoformat())
            page.get_by_label("Metric", exact=True).select_option("cycle_time")
            page.get_by_label("Scope", exact=True).select_option("function:Engineering")
            page.get_by_label("Target", exact=True).fill("-15")
            page.get_by_label("How it is measured").select_option("difference_in_differences")
            page.get_by_role("button", name="Define it").click()
            page.get_by_role("heading", name="Cycle time: Copilot for all engineers").wait_for()
            assert page.get_by_text("after the phase had started").count() == 1
            assert page.locator(".status-not_enough_data").count() >= 1
            fits(page, "criterion")

            page.get_by_role("link", name="Edit (with a reason)").click()
            page.wait_for_url("**/edit")
            page.get_by_label("Target", exact=True).fill("-10")
            page.get_by_role("button", name="Save the change").click()  # no reason: refused
            assert page.url.endswith("/edit")
            assert page.locator("#reason").evaluate("e => e.validity.valueMissing")
            page.get_by_label("Why it changes").fill("Two teams start a month late")
            page.get_by_role("button", name="Save the change").click()
            page.get_by_role("heading", name="Cycle time: Copilot for all engineers").wait_for()
            row = page.get_by_role("row").filter(has_text="Two teams start a month late")
            assert row.count() == 1 and "after the start" in row.inner_text()
            fits(page, "criterion-revised")

            page.get_by_role("link", name="Success criteria").first.click()
            page.get_by_role("link", name="Cycle time, Engineering").wait_for()
            fits(page, "criteria")

            page.goto(live_server + "/wins")
            page.get_by_label("What worked").fill("Meeting notes save managers time")
            page.get_by_label("Source", exact=True).fill("Manager round-table, October")
            page.get_by_label("Period: first day").fill((start - dt.timedelta(days=30)).isoformat())
            page.get_by_label("Period: last day").fill(start.isoformat())
            page.get_by_role("button", name="Log the win").click()
            page.get_by_role("heading", name="Meeting notes save managers time").wait_for()
            assert page.locator(".self-reported").count() == 1
            fits(page, "win")
            page.goto(live_server + "/wins")
            page.get_by_role("link", name="Meeting notes save managers time").wait_for()
            fits(page, "wins")
        finally:
            browser.close()
    assert outside == [] and errors == []
