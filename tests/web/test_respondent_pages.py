"""What a respondent sees, in real Chromium at a phone's 390 x 844 and a desktop's 1440 x 900:
every page and every thank-you page free of axe-core violations of any impact, the first
question on the first screen, 44 px touch targets, the survey's question for executives and
managers shown only to them, and the survey answered with the keyboard alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from gaplens.db.engine import session_scope
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.web.axe import assert_no_violations
from tests.web.conftest import ARTIFACTS, STAFF

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
LEADERS_QUESTION = "Employees are effectively using the AI tools they have been given."

SMALL_TARGETS = """(root) => {
  const small = [];
  const where = document.querySelector(root) || document;
  const all = where.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, details > summary');
  for (const el of all) {
    if (!el.checkVisibility()) continue;
    const wrapped = (el.type === 'radio' || el.type === 'checkbox') && el.closest('label');
    const box = (wrapped || el).getBoundingClientRect();
    if (box.height < 44 || box.width < 44) {
      const name = el.name || el.textContent.trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} ${name} ${el.value || ''}: `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


TOO_WIDE = """(width) => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > width + 1)
  .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" ends at `
    + Math.round(el.getBoundingClientRect().right))"""


@dataclass(frozen=True)
class Links:
    survey: str
    tasks: str
    reflections: list[str]


@pytest.fixture
def links(web_db: str, task_link: str, tmp_path: Path) -> Links:
    """A survey link, the task map's link, reflection links, a leader's post and a statement
    of what stays the same, so every respondent page has something on it."""
    from gaplens.accounts.models import StaffUser
    from gaplens.commitments.schemas import Category, StatementIn
    from gaplens.commitments.service import create_statement
    from gaplens.modelling.schemas import PostIn
    from gaplens.modelling.service import publish_post
    from gaplens.reflections.service import issue_links, schedule
    from gaplens.surveys.collection import create_open_link
    from gaplens.surveys.service import find_survey
    from tests.web.test_reflections import emails, train

    yesterday = dt.date.today() - dt.timedelta(days=1)
    train(web_db, tmp_path, emails(web_db, "eng-payments", 12), yesterday)
    with session_scope(web_db) as session:
        token = create_open_link(session, find_survey(session, None))
        schedule(session, yesterday)
        issued = issue_links(session, dt.date.today(), "http://testserver")
        leader = session.scalar(select(StaffUser.id).where(StaffUser.email == STAFF["leader"][0]))
        assert leader is not None
        create_statement(
            session,
            leader,
            StatementIn(
                category=Category.ROLE,
                text="Nobody's job is cut because of an AI tool this year.",
                stated_by="Dana Whitfield, Chief Operating Officer",
            ),
        )
        publish_post(
            session,
            leader,
            PostIn(
                title="Summaries of long threads",
                task="Catching up after leave",
                tool="Copilot chat",
                what_worked="A page instead of two hundred messages.",
                what_went_wrong="It named the wrong owner for one decision.",
            ),
        )
    return Links(
        survey=f"/s/{token}",
        tasks=task_link,
        reflections=[link.url.rsplit("/", 1)[1] for link in issued if link.step == "now"],
    )


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser: Any, origin: str, viewport: dict[str, int], **options: Any) -> Any:
    """A fresh page that records any request off the host and any script error."""
    page = browser.new_context(viewport=viewport, **options).new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(origin) else problems.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )
    page.problems = problems
    return page


def check_page(page: Any, context: str, phone: bool, first: str | None = None) -> None:
    """axe-clean; on a phone also: nothing wider than the screen, every target 44 px, and
    `first` (the first question or field) wholly on the first screen."""
    assert_no_violations(page, context)
    if not phone:
        return
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{context}: {width}px wide on a 390px phone: " + str(
        page.evaluate(TOO_WIDE, PHONE["width"])
    )
    small = page.evaluate(SMALL_TARGETS, "main")
    assert small == [], f"{context}: targets under 44 px: {small}"
    if first is not None:
        box = page.locator(first).first.bounding_box()
        assert box is not None, f"{context}: {first} not shown"
        bottom = box["y"] + box["height"]
        assert bottom < PHONE["height"], f"{context}: {first} ends at {bottom:.0f}px"


def responses(url: str) -> int:
    from gaplens.surveys.models import SurveyResponse

    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse)) or 0


@pytest.fixture
def rendering_on_sqlite(db_url: str) -> None:
    """Skips the PostgreSQL case before the world and the server are set up for it."""
    if "postgresql" in db_url:
        pytest.skip(
            "what Chromium and axe-core check is the rendered pages, the same on either "
            "backend: the answers these forms send are stored on both backends by "
            "test_surveys_online.py, test_tasks.py, test_reflections.py, test_feedback.py and "
            "test_friction.py in tests/web"
        )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_respondent_page_and_thank_you_page_passes_axe(
    rendering_on_sqlite: None,
    links: Links,
    live_server: str,
    web_db: str,
    browser: Any,
    viewport: dict[str, int],
):
    phone = viewport is PHONE
    size = "phone" if phone else "desktop"
    page = open_page(browser, live_server, viewport)
    before = responses(web_db)

    # The survey: as it opens, refused for a missing role level, then sent.
    page.goto(live_server + links.survey)
    check_page(page, f"survey, {size}", phone, "#q-role_level")
    if phone:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "survey-phone-first-screen.png"))
    page.get_by_label("No difference").check()
    page.evaluate("document.getElementById('survey-form').noValidate = true")
    page.get_by_role("button", name="Send my answers anonymously").click()
    page.get_by_role("heading", name="Please check this answer").wait_for()
    assert page.get_by_role("link", name="Your role level").count() == 1
    assert page.get_by_label("No difference").is_checked(), "what was typed is kept"
    check_page(page, f"survey refused for a missing role level, {size}", phone)
    page.get_by_label("Individual contributor").check()
    page.get_by_role("button", name="Send my answers anonymously").click()
    page.get_by_role("heading", name="Thank you — your answers are in").wait_for()
    check_page(page, f"survey thank-you page, {size}", phone)
    said = page.locator("main").inner_text()
    assert "from tomorrow at the earliest" in said and "at least five people" in said
    assert "dashboard" in said and "reality report" in said, "where the results are read"
    assert responses(web_db) == before + 1

    # The task map: the function picker, the function's tasks, and its thank-you page.
    page.goto(live_server + links.tasks)
    check_page(page, f"task map, function picker, {size}", phone, "form fieldset label.choice")
    page.get_by_label("Support").check()
    page.get_by_role("button", name="Show my function's tasks").click()
    page.wait_for_url("**function=Support")
    check_page(page, f"task map, Support's tasks, {size}", phone, "#tasks-form label.choice")
    page.get_by_label("Individual contributor").check()
    for task in page.locator("fieldset.task[id^=task-]").all():
        task.locator("input[type=radio][value=keep]").check()
        task.locator("input[type=number]").fill("0")
        task.locator("input[type=radio][value='3']").check()
    page.get_by_role("button", name="Send my answers anonymously").click()
    page.get_by_role("heading", name="Thank you — your answers are in").wait_for()
    check_page(page, f"task map thank-you page, {size}", phone)

    # Reflection, feedback, friction, leaders' posts, what stays the same, the front page.
    page.goto(f"{live_server}/r/{links.reflections[0 if phone else 1]}")
    check_page(page, f"reflection, {size}", phone, "#learned")
    page.locator("#learned").fill("Ask for the output format first.")
    page.get_by_role("button", name="Send my reflection anonymously").click()
    page.get_by_role("heading", name="Thank you — your reflection is in").wait_for()
    check_page(page, f"reflection thank-you page, {size}", phone)

    page.goto(live_server + "/feedback")
    check_page(page, f"feedback, {size}", phone, "form fieldset label.choice")
    page.get_by_label("Friction").check()
    page.locator("#text").fill("The assistant rewrites tests badly.")
    page.get_by_role("button", name="Send anonymously").click()
    page.get_by_role("heading", name="Thank you — it's in").wait_for()
    check_page(page, f"feedback thank-you page, {size}", phone)

    page.goto(live_server + "/friction")
    check_page(page, f"friction log, {size}", phone, "#use_case")
    page.locator("#use_case").fill("code review")
    page.locator("#tool").fill("GitHub Copilot")
    page.get_by_label("Fixed it").check()
    page.locator("#minutes_correcting").fill("5")
    page.get_by_role("button", name="Log it anonymously").click()
    page.get_by_role("heading", name="Logged — thank you").wait_for()
    check_page(page, f"friction thank-you page, {size}", phone)

    for path, what in (("/leaders", "leaders' posts"), ("/commitments", "what stays the same")):
        page.goto(live_server + path)
        check_page(page, f"{what}, {size}", phone)
    page.goto(live_server + "/")
    check_page(page, f"front page, {size}", phone)
    assert page.problems == []


def test_the_axe_helper_names_each_problem(browser: Any):
    """The check can fail: a page with an image without a text alternative and a field
    without a label is refused, naming the rule, its impact and the element."""
    page = browser.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<h1>t</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="pic">'
        '<input id="nameless"></main></body></html>'
    )
    with pytest.raises(AssertionError) as failed:
        assert_no_violations(page, "a broken page")
    message = str(failed.value)
    assert "image-alt (critical) at #pic" in message
    assert "label (critical) at #nameless" in message


TYPED = "Typed with the keyboard alone"
FOCUSED = """() => {
  const el = document.activeElement;
  return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
          id: el.id || '', checked: !!el.checked, text: el.textContent.trim().slice(0, 40)};
}"""


def test_the_survey_answered_with_the_keyboard_alone(
    links: Links, live_server: str, web_db: str, browser: Any
):
    """Tab, Shift+Tab, the arrow keys, Space, typed digits and Enter only: every question a
    respondent is shown is reached and answered, the answers are sent and stored."""
    from gaplens.surveys.models import SurveyAnswer

    def answered() -> int:
        with session_scope(web_db) as session:
            query = select(func.count()).select_from(SurveyAnswer)
            return session.scalar(query.where(SurveyAnswer.text == TYPED)) or 0

    before, before_answers = responses(web_db), answered()
    page = open_page(browser, live_server, PHONE)
    page.goto(live_server + links.survey)
    shown = set(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('#survey-form [name]'))
              .filter((el) => el.type !== 'hidden' && el.checkVisibility() && !el.disabled)
              .map((el) => el.name)"""
        )
    )
    reached: set[str] = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] == "button" and "anonymously" in focused["text"]:
            break
        name = focused["name"]
        if not name or (name in reached and focused["type"] == "radio"):
            continue
        reached.add(name)
        if name == "role_level":
            page.keyboard.press("ArrowDown")  # Executive -> Manager -> Individual contributor
            page.keyboard.press("ArrowDown")
        elif focused["type"] == "radio":
            page.keyboard.press("ArrowDown")  # the second option, checked
        elif focused["type"] == "checkbox":
            page.keyboard.press("Space")
        elif focused["tag"] == "select":
            page.keyboard.press("ArrowDown")
        elif focused["type"] == "number":
            page.keyboard.type("2")
        elif focused["tag"] == "textarea":
            page.keyboard.type(TYPED)
    else:
        pytest.fail("the send button was never reached with Tab")
    assert reached == shown, f"not reached: {shown - reached}"
    assert "peers_effective_use" not in reached, "a question for leaders, hidden for others"
    assert page.get_by_label("Individual contributor").is_checked()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED)["name"] == "comment", "Shift+Tab goes back a field"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Thank you — your answers are in").wait_for()
    assert page.problems == []
    assert responses(web_db) == before + 1
    assert answered() == before_answers + 1


def test_the_leaders_question_is_shown_to_executives_and_managers_only(
    links: Links, live_server: str, web_db: str, browser: Any
):
    """With JavaScript the question appears once "Manager" or "Executive" is picked, is
    hidden (and not sent) otherwise, and the numbering follows; without JavaScript it shows,
    marked for executives and managers, and the server refuses it from anyone else."""
    page = open_page(browser, live_server, PHONE)
    page.goto(live_server + links.survey)
    question = page.locator("#q-peers_effective_use")
    assert question.is_hidden(), "hidden until a role is chosen"
    last = page.locator("fieldset.question").last.locator(".q-number")
    assert last.inner_text() == "Question 18 of 18"
    page.get_by_label("Manager").check()
    assert question.is_visible()
    assert last.inner_text() == "Question 19 of 19"
    question.get_by_label("Agree", exact=True).check()
    page.get_by_label("Individual contributor").check()
    assert question.is_hidden() and question.locator("input").first.is_disabled()
    page.get_by_role("button", name="Send my answers anonymously").click()
    page.get_by_role("heading", name="Thank you — your answers are in").wait_for()

    before = responses(web_db)
    plain = open_page(browser, live_server, PHONE, java_script_enabled=False)
    plain.goto(live_server + links.survey)
    assert plain.locator("#q-peers_effective_use").is_visible()
    assert "(executives and managers only)" in plain.locator("#q-peers_effective_use").inner_text()
    plain.get_by_label("Individual contributor").check()
    plain.locator("#q-peers_effective_use").get_by_label("Agree", exact=True).check()
    plain.get_by_role("button", name="Send my answers anonymously").click()
    plain.get_by_role("heading", name="Please check this answer").wait_for()
    link = plain.get_by_role("link", name=LEADERS_QUESTION)
    assert link.get_attribute("href") == "#q-peers_effective_use"
    assert "for executives and managers only" in plain.locator("#problems").inner_text()
    assert responses(web_db) == before, "nothing stored from a refused answer"
    plain.get_by_label("Manager").check()
    plain.get_by_role("button", name="Send my answers anonymously").click()
    plain.get_by_role("heading", name="Thank you — your answers are in").wait_for()
    assert responses(web_db) == before + 1
