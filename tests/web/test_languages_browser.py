"""The respondent pages in other languages, in real Chromium: the survey in German (longer
words) and Japanese on a 390 x 844 phone with no axe-core violation, `<html lang>` following
the language, the first question on the first screen, 44 px targets and no sideways scroll;
the language switch operated like a person would, and remembered on the next page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS
from tests.web.test_respondent_pages import (  # noqa: F401 - the shared fixtures
    DESKTOP,
    PHONE,
    SMALL_TARGETS,
    Links,
    browser,
    check_page,
    links,
    open_page,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("locale", "language", "send"),
    [("de-DE", "de", "Meine Antworten anonym senden"), ("ja-JP", "ja", "回答を匿名で送信")],
)
def test_the_survey_in_german_and_japanese_on_a_phone(
    links: Links,  # noqa: F811
    live_server: str,
    browser: Any,  # noqa: F811
    locale: str,
    language: str,
    send: str,
):
    page = open_page(browser, live_server, PHONE, locale=locale)
    page.goto(live_server + links.survey)
    assert page.evaluate("document.documentElement.lang") == language
    check_page(page, f"survey in {language}, phone", True, "#q-role_level")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"survey-phone-{language}.png"), full_page=True)
    # The longest German words of the page's own text fit too, with every fold open.
    page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = true)")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width}px wide with every fold open"
    assert page.evaluate(SMALL_TARGETS, "header .lang-menu") == []
    page.evaluate("document.querySelectorAll('details').forEach((d) => d.open = false)")
    button = page.get_by_role("button", name=send)
    assert button.count() == 1
    assert page.problems == []


def test_the_switch_changes_the_language_and_remembers_it(
    links: Links,  # noqa: F811
    live_server: str,
    browser: Any,  # noqa: F811
):
    page = open_page(browser, live_server, DESKTOP, locale="en-US")
    page.goto(live_server + "/feedback")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.locator(".lang-menu > summary").click()
    check_page(page, "feedback with the language list open", False)
    page.get_by_role("link", name="Français").click()
    page.get_by_role(
        "heading", name="Dites-nous comment l’IA fonctionne vraiment pour vous"
    ).wait_for()
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.goto(live_server + links.survey)  # remembered, no parameter
    assert page.evaluate("document.documentElement.lang") == "fr"
    page.get_by_role("button", name="Envoyer mes réponses anonymement").wait_for()
    # With the keyboard: Tab to the switch, open it, pick Japanese.
    page.goto(live_server + "/friction")
    page.locator(".lang-menu > summary").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="日本語").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="手直しが必要だったAIの出力を記録する").wait_for()
    check_page(page, "friction in Japanese", False)
    assert page.problems == []
