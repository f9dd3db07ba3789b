"""Real Chromium: each anonymous form keeps its own token cookie, so opening one form (or the
sign-in page) in the same browser never makes another form's submission fail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from gaplens.feedback.models import FeedbackItem
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.conftest import form_token


@pytest.mark.browser
def test_feedback_after_opening_the_sign_in_and_friction_forms(live_server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            feedback = context.new_page()
            feedback.goto(live_server + "/feedback")
            other = context.new_page()
            other.goto(live_server + "/login")  # sets the sign-in form's token cookie on /
            other.goto(live_server + "/friction")  # and the friction form's
            feedback.bring_to_front()
            feedback.get_by_label("Idea", exact=True).check()
            feedback.locator("textarea").first.fill("Office hours with someone who knows the tools")
            feedback.get_by_role("button").filter(has_text="Send").first.click()
            feedback.wait_for_load_state()
            assert "reload the page" not in feedback.content()
            assert feedback.url.startswith(live_server + "/feedback")
            assert feedback.title().startswith("Thank you")
            cookies = [c for c in context.cookies() if c["name"] == "gaplens_form"]
            assert {c["path"] for c in cookies} >= {"/", "/feedback", "/friction"}
        finally:
            browser.close()


def test_a_token_must_match_one_of_the_form_cookies_sent(client: TestClient, web_db: str) -> None:
    """Several form cookies under one name (one per form path): the token must equal one of
    them; a token equal to none is refused and stores nothing."""
    token = form_token(client, "/feedback")
    cookies = f"gaplens_form=not-this-one; gaplens_form={token}; gaplens_form=nor-this"
    data = {"form_token": token, "kind": "idea", "text": "Office hours would help"}
    ok = client.post("/feedback", data=data, headers={"cookie": cookies})
    assert ok.status_code == 200 and "Thank you" in ok.text
    data["form_token"] = "forged"
    refused = client.post("/feedback", data=data, headers={"cookie": cookies})
    assert refused.status_code == 403
    with session_scope(web_db) as session:
        assert session.scalar(select(func.count()).select_from(FeedbackItem)) == 1
