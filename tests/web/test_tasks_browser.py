"""The task map in real Chromium: the anonymous answer page on a phone, by keyboard, and the
staff map with its chart."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.tasks.models import TaskResponse
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF

pytestmark = pytest.mark.browser
SUPPORT_TASKS = (
    "ticket-triage",
    "customer-calls",
    "email-replies",
    "refund-decisions",
    "macro-upkeep",
    "handover-notes",
)


def test_answer_the_task_map_on_a_phone_with_the_keyboard(
    live_server: str, web_db: str, task_link: str
):
    from playwright.sync_api import sync_playwright

    with session_scope(web_db) as session:
        before = session.scalar(select(func.count()).select_from(TaskResponse))
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on(
                "request",
                lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None,
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            # The deliberately incomplete answer below is a 422, which Chromium logs.
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and "status of 422" not in m.text
                    else None
                ),
            )
            page.goto(live_server + task_link)
            page.get_by_label("Support").focus()
            page.keyboard.press("Space")
            page.keyboard.press("Enter")
            page.wait_for_url("**function=Support")
            page.get_by_label("Individual contributor").focus()
            page.keyboard.press("Space")
            for key in SUPPORT_TASKS:
                stance = "hate" if key == "ticket-triage" else "keep"
                page.locator(f'input[name="stance.{key}"][value="{stance}"]').focus()
                page.keyboard.press("Space")
                page.locator(f'input[name="hours.{key}"]').focus()
                page.keyboard.type("5" if key == "ticket-triage" else "0")
                page.locator(f'input[name="judgement.{key}"][value="2"]').focus()
                page.keyboard.press("Space")
            page.locator('input[name="free.1.label"]').fill("Chasing courier updates")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide on a 390 px phone"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "tasks-answer-phone.png"), full_page=True)
            # A free task without its answers: the form comes back with the message, kept.
            page.get_by_role("button", name="Send my answers anonymously").press("Enter")
            page.get_by_role("alert").wait_for()
            assert page.locator('input[name="free.1.label"]').input_value() == (
                "Chasing courier updates"
            )
            assert page.locator('input[name="stance.ticket-triage"][value="hate"]').is_checked()
            page.locator('input[name="free.1.label"]').fill("")
            page.get_by_role("button", name="Send my answers anonymously").press("Enter")
            page.get_by_text("your answers are in").wait_for()
        finally:
            browser.close()
    assert outside == [] and errors == []
    with session_scope(web_db) as session:
        assert session.scalar(select(func.count()).select_from(TaskResponse)) == (before or 0) + 1


def test_the_map_and_its_chart(live_server: str, task_link: str):
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(live_server + "/login")
            page.locator("#email").fill(STAFF["leader"][0])
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(live_server + "/tasks/map")
            chart = page.locator("#top-chart svg")
            chart.wait_for(state="visible")
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300
            assert page.get_by_role("heading", name="Top augmentation candidates").count() == 1
            assert page.get_by_role("row", name="Boilerplate code").count() >= 1
            page.screenshot(path=str(ARTIFACTS / "tasks-map.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            width = page.evaluate("document.body.scrollWidth")
            assert width <= 390, f"the map is {width} px wide on a 390 px phone"
            page.screenshot(path=str(ARTIFACTS / "tasks-map-phone.png"))
            page.get_by_role("link", name="Personas and playbooks").click()
            page.get_by_role("heading", name="Personas and playbooks").wait_for()
            assert page.get_by_text("Playbook").count() >= 2
            page.screenshot(path=str(ARTIFACTS / "tasks-personas.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
