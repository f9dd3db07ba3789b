"""Leaders' posts and what stays the same in real Chromium: written by a leader with the
keyboard-friendly forms, read and marked useful by an anonymous reader on a phone."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _watch(page, origin: str, outside: list[str], errors: list[str]) -> None:
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(origin) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A refused form answers 422 on purpose, which Chromium logs; anything else is an error.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))


def _sign_in(page, origin: str) -> None:
    page.goto(origin + "/login")
    page.locator("#email").fill(STAFF["leader"][0])
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(origin + "/dashboard")


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"page is {width}px wide on a {PHONE['width']}px phone"


def test_a_leader_posts_and_an_anonymous_reader_marks_it_useful(live_server: str):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            leader = browser.new_context(viewport=PHONE).new_page()
            _watch(leader, live_server, outside, errors)
            _sign_in(leader, live_server)
            leader.goto(live_server + "/leaders")
            leader.get_by_role("link", name="Share how you use AI").click()
            leader.get_by_label("Title").fill("Copilot invented an API <b>in</b> the migration")
            leader.get_by_label("The task: what did you use AI for?").fill("A schema migration")
            leader.get_by_label("The tool").fill("GitHub Copilot")
            leader.get_by_label("What worked").fill("The boilerplate, in minutes.")
            leader.get_by_role("button", name="Publish").click()
            # neither what went wrong nor "nothing went wrong": refused, typing kept
            leader.get_by_role("alert").get_by_text("what_went_wrong").wait_for()
            assert leader.get_by_label("The tool").input_value() == "GitHub Copilot"
            _fits_the_phone(leader)
            leader.screenshot(path=str(ARTIFACTS / "leader-post-form-phone.png"), full_page=True)
            leader.get_by_label("What the AI got wrong").fill(
                "It called bulk_upsert(), which does not exist."
            )
            leader.get_by_role("button", name="Publish").click()
            leader.get_by_role(
                "heading", name="Copilot invented an API <b>in</b> the migration"
            ).wait_for()
            post_url = leader.url
            assert "/leaders/" in post_url

            reader = browser.new_context(viewport=PHONE).new_page()  # no account, no cookies
            _watch(reader, live_server, outside, errors)
            reader.goto(live_server + "/leaders")
            article = reader.locator("article.post").first
            assert "It called bulk_upsert()" in article.inner_text()
            assert "Leader" in article.inner_text()
            article.get_by_role("button", name="Useful to me").click()
            reader.get_by_text("You found this useful").wait_for()
            assert reader.locator("article.post .count").first.inner_text() == "1"
            reader.goto(post_url)
            reader.get_by_text("You found this useful").wait_for()  # the same browser, once
            assert reader.get_by_role("button", name="Useful to me").count() == 0
            _fits_the_phone(reader)
            reader.screenshot(path=str(ARTIFACTS / "leader-post-phone.png"), full_page=True)
        finally:
            browser.close()
    assert outside == [] and errors == []


def test_a_statement_is_made_reworded_and_shown_where_people_answer(live_server: str, web_db: str):
    from playwright.sync_api import sync_playwright

    from gaplens.db.engine import session_scope
    from gaplens.surveys.collection import create_open_link
    from gaplens.surveys.service import find_survey

    with session_scope(web_db) as session:
        token = create_open_link(session, find_survey(session, None))
    outside: list[str] = []
    errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            leader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            _watch(leader, live_server, outside, errors)
            _sign_in(leader, live_server)
            leader.goto(live_server + "/commitments/new")
            leader.get_by_label("A role that stays").check()
            leader.get_by_label("The statement").fill(
                "No support role is cut because of AI in 2026."
            )
            leader.get_by_label("For").select_option("Support")
            leader.get_by_role("button", name="Publish the statement").click()
            leader.wait_for_url(live_server + "/commitments*")
            leader.get_by_role("link", name="Reword").click()
            leader.get_by_label("The statement").fill(
                "No support role is cut because of AI in 2026 or 2027."
            )
            leader.get_by_role("button", name="Save the new wording").click()
            leader.wait_for_url(live_server + "/commitments*")

            reader = browser.new_context(viewport=PHONE).new_page()
            _watch(reader, live_server, outside, errors)
            reader.goto(live_server + "/commitments")
            reader.get_by_text("No support role is cut because of AI in 2026 or 2027.").wait_for()
            reader.get_by_text("Earlier wording (1)").click()
            reader.get_by_text(
                "No support role is cut because of AI in 2026.", exact=True
            ).wait_for()
            _fits_the_phone(reader)
            reader.screenshot(path=str(ARTIFACTS / "commitments-phone.png"), full_page=True)
            reader.goto(f"{live_server}/s/{token}")
            box = reader.locator("#stays-the-same")
            box.get_by_text("What stays the same").click()  # folded: one tap away
            box.get_by_text("No support role is cut because of AI in 2026 or 2027.").wait_for()
            assert "SUPPORT" in box.inner_text().upper()
            _fits_the_phone(reader)
            reader.screenshot(path=str(ARTIFACTS / "survey-stays-phone.png"))
        finally:
            browser.close()
    assert outside == [] and errors == []
