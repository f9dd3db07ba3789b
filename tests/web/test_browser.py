"""The pages in real Chromium: sign in with the keyboard, see the chart, nothing leaves the host."""

from __future__ import annotations

import pytest

from tests.web.conftest import ARTIFACTS, CHROMIUM_ARGS, PASSWORD, STAFF

pytestmark = pytest.mark.browser


def test_sign_in_and_dashboard_chart(live_server: str):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None,
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(live_server + "/")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
            page.goto(live_server + "/dashboard")
            assert page.url.startswith(live_server + "/login")
            page.keyboard.press("Tab")  # skip link first: keyboard users can jump to content
            page.locator("#email").focus()
            page.keyboard.type(STAFF["leader"][0])
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(live_server + "/dashboard")
            chart = page.locator("#impact-chart svg")
            chart.wait_for(state="visible", timeout=10_000)
            box = chart.bounding_box()
            assert box is not None and box["width"] > 200
            assert (
                page.get_by_role(
                    "heading", name="How much has AI changed your productivity?"
                ).count()
                == 1
            )
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"))
        finally:
            browser.close()
    assert outside == []
    assert errors == []
