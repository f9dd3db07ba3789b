"""The pages in real Chromium: sign in with the keyboard, see the chart, nothing leaves the host."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF

pytestmark = pytest.mark.browser


def test_sign_in_and_dashboard_chart(live_server: str):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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


def test_answer_a_survey_with_progress_kept_in_the_browser(live_server: str, web_db: str):
    """Partial answers survive a reload (localStorage only); free text stays inert."""
    from playwright.sync_api import sync_playwright
    from sqlalchemy import func, select

    from gaplens.db.engine import session_scope
    from gaplens.surveys.collection import create_open_link
    from gaplens.surveys.models import SurveyAnswer, SurveyResponse
    from gaplens.surveys.service import find_survey

    with session_scope(web_db) as session:
        token = create_open_link(session, find_survey(session, None))
        before = session.scalar(select(func.count()).select_from(SurveyResponse))
    dialogs: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{live_server}/s/{token}")
            page.get_by_label("Individual contributor").check()
            page.get_by_label("No difference").check()
            page.locator("#in-comment").fill(
                '<img src=x onerror=alert(1)> it "helps" <b>sometimes</b>'
            )
            page.reload()
            assert page.get_by_label("No difference").is_checked(), "progress kept in the browser"
            assert page.locator("#in-comment").input_value().startswith("<img")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "survey-phone.png"), full_page=True)
            page.get_by_role("button", name="Send my answers anonymously").click()
            page.get_by_text("your answers are in").wait_for()
            stored = page.evaluate("Object.keys(localStorage).length")
            assert stored == 0, "progress cleared once sent"
        finally:
            browser.close()
    assert dialogs == [] and errors == []
    with session_scope(web_db) as session:
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == (before or 0) + 1
        texts = list(
            session.scalars(select(SurveyAnswer.text).where(SurveyAnswer.text.like("<img%")))
        )
    assert texts == ['<img src=x onerror=alert(1)> it "helps" <b>sometimes</b>']


def test_feedback_then_digest_shows_it_inert(live_server: str, web_db: str):
    """Ten friction reports typed into the form with a script in them, published (as the
    weekly build does once their month is over: here they are moved into last month) beside
    five other items: the digest shows the texts as text and no script runs."""
    from playwright.sync_api import sync_playwright
    from sqlalchemy import update

    from gaplens.db.engine import session_scope
    from gaplens.feedback.models import FeedbackItem
    from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
    from gaplens.feedback.service import submit_feedback
    from gaplens.privacy import PrivacyPolicy
    from gaplens.releases.service import build_all

    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for n in range(10):
                page.goto(live_server + "/feedback")
                page.get_by_label("Friction").check()
                page.locator("#text").fill(
                    f"<script>alert({n})</script> The assistant rewrites tests badly, case {n}"
                )
                page.get_by_role("button", name="Send anonymously").click()
                page.get_by_text("Thank you").first.wait_for()
            first_of_month = dt.date.today().replace(day=1)
            last_month = (first_of_month - dt.timedelta(days=1)).replace(day=15)
            with session_scope(web_db) as session:
                session.execute(update(FeedbackItem).values(received_on=last_month))
                for n in range(5):
                    item = FeedbackIn(kind=FeedbackKind.WORKING, text=f"Summaries work {n}")
                    submit_feedback(session, item, "web", last_month)
                build_all(session, PrivacyPolicy())
            page.goto(live_server + "/login")
            page.locator("#email").fill(STAFF["leader"][0])
            page.locator("#password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(live_server + "/digest?days=63")
            page.get_by_role("heading", name="Friction · 10").wait_for()
            assert page.get_by_text("<script>alert(", exact=False).count() >= 1, "shown as text"
            page.screenshot(path=str(ARTIFACTS / "digest.png"), full_page=True)
        finally:
            browser.close()
    assert dialogs == []


def release_adoption(url: str) -> None:
    """Copilot use for most people across August and September 2026 (three weeks for
    every other one, so stages differ), then the build of early October."""
    from sqlalchemy import select

    from gaplens.db.engine import session_scope
    from gaplens.directory.models import Person
    from gaplens.privacy import PrivacyPolicy
    from gaplens.releases.adoption.service import build_adoption_releases
    from tests.releases.adoption_world import import_run, use

    weeks = [dt.date(2026, 9, 7), dt.date(2026, 9, 14), dt.date(2026, 9, 28)]
    with session_scope(url) as session:
        run = import_run(session)
        for n, pid in enumerate(session.scalars(select(Person.id).order_by(Person.email))):
            if n % 5:
                use(session, run, pid, [dt.date(2026, 8, 3), *(weeks if n % 2 else [])])
        build_adoption_releases(session, PrivacyPolicy(), today=dt.date(2026, 10, 2))


def test_adoption_page_chart_and_phone_layout(live_server: str, web_db: str):
    """The funnel per team: an inline SVG chart, the table, no request off the host, and on a
    390 px phone nothing wider than the screen except inside its scrolling table."""
    from playwright.sync_api import sync_playwright

    release_adoption(web_db)

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
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(live_server + "/adoption")
            page.locator("#email").fill(STAFF["analyst"][0])
            page.locator("#password").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(live_server + "/adoption")
            page.goto(live_server + "/adoption?as_of=2026-09-30")
            assert page.get_by_role("heading", name="Adoption: licensed to integrated").count() == 1
            chart = page.locator("figure.chart svg")
            chart.wait_for(state="visible", timeout=10_000)
            assert chart.get_attribute("role") == "img"
            assert page.locator("table tbody tr").count() > 3
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "adoption-phone.png"), full_page=True)
        finally:
            browser.close()
    assert outside == []
    assert errors == []
