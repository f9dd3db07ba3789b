"""Reflection loops over HTTP: the anonymous answer page and API, the Slack `reflect`
command, the staff view read from the reflections release, and the admin API; one page in
Chromium."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from gaplens.db.engine import get_engine, session_scope
from gaplens.directory.models import Person
from gaplens.mapped.service import import_mapped_csv
from gaplens.privacy import PrivacyPolicy
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.reflections.schemas import ReflectionIn
from gaplens.reflections.service import issue_links, schedule, submit_reflection
from gaplens.releases.service import build_all
from gaplens.spent.service import REFLECTION, spent_among
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.files import write_csv
from tests.integrations.slack_payloads import IDENTIFYING, signed_headers, slash_body
from tests.reflections.builders import TRAINING_MAPPING
from tests.web.conftest import ARTIFACTS, PASSWORD, STAFF, form_token, sign_in

SLACK = "/integrations/slack/command"
SECRET = "test-secret"


def train(url: str, tmp_path: Path, emails: list[str], day: dt.date) -> None:
    path = write_csv(
        tmp_path / f"training-{day}.csv",
        [{"Learner Email": e, "Course": "AI basics", "Completed On": str(day)} for e in emails],
    )
    mapping = tmp_path / "training.toml"
    mapping.write_text(TRAINING_MAPPING)
    with session_scope(url) as session:
        import_mapped_csv(session, path, mapping)


def emails(url: str, team: str, count: int) -> list[str]:
    from gaplens.directory.models import Team

    with session_scope(url) as session:
        return list(
            session.scalars(
                select(Person.email)
                .join(Team, Team.id == Person.team_id)
                .where(Team.key == team)
                .order_by(Person.email)
                .limit(count)
            )
        )


@pytest.fixture
def tokens(web_db: str, tmp_path: Path) -> list[str]:
    """14 engineers (12 in eng-payments, 2 in eng) trained yesterday; their links of today."""
    yesterday = dt.date.today() - dt.timedelta(days=1)
    people = emails(web_db, "eng-payments", 12) + emails(web_db, "eng", 2)
    train(web_db, tmp_path, people, yesterday)
    with session_scope(web_db) as session:
        schedule(session, yesterday)
        links = issue_links(session, dt.date.today(), "http://testserver")
    return [link.url.rsplit("/", 1)[1] for link in links if link.step == "now"]


def entry_count(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(ReflectionEntry)) or 0


def used_count(url: str) -> int:
    """Invitations whose link was used, through the server's key (their rows never say)."""
    with session_scope(url) as session:
        hashes = session.scalars(select(ReflectionInvitation.token_hash)).all()
        return len(spent_among(session, REFLECTION, hashes))


def post_page(client: TestClient, token: str, **data: str):
    return client.post(
        f"/r/{token}", data={"form_token": form_token(client, f"/r/{token}"), **data}
    )


def test_answer_page_is_anonymous_phone_first_and_script_free(client: TestClient, tokens):
    page = client.get(f"/r/{tokens[0]}")
    assert page.status_code == 200
    assert "What did I learn?" in page.text and "What does it mean for my work?" in page.text
    assert "What is stored, and what is not" in page.text and "Not stored:" in page.text
    assert "<script" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'name="viewport"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_answering_stores_once_and_the_link_then_says_used(client: TestClient, web_db: str, tokens):
    response = post_page(client, tokens[0], learned="Examples work", means="", confidence="4")
    assert response.status_code == 200 and "Thank you" in response.text
    assert "tomorrow" in response.text
    assert entry_count(web_db) == 1 and used_count(web_db) == 1
    again = client.get(f"/r/{tokens[0]}")
    assert again.status_code == 410 and "already been used" in again.text
    assert client.get("/r/not-a-real-token").status_code == 404


def test_form_without_its_token_is_refused(client: TestClient, web_db: str, tokens):
    response = client.post(f"/r/{tokens[0]}", data={"learned": "something"})
    assert response.status_code == 403
    assert entry_count(web_db) == 0 and used_count(web_db) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"learned": "", "means": "  "}, "write what you learned"),
        ({"learned": "x" * 2001}, "learned"),
        ({"learned": "fine", "confidence": "9"}, "confidence"),
    ],
)
def test_bad_answers_re_render_with_what_was_typed(
    client: TestClient, web_db: str, tokens, data: dict[str, str], message: str
):
    response = post_page(client, tokens[0], **data)
    assert response.status_code == 422
    assert message in response.text
    typed = data.get("learned", "")
    if typed.strip():
        assert typed in response.text
    assert entry_count(web_db) == 0 and used_count(web_db) == 0
    assert client.get(f"/r/{tokens[0]}").status_code == 200  # the link still works


def test_json_api(client: TestClient, web_db: str, tokens):
    body = {"link": tokens[1], "learned": "Check the sources", "confidence": 3}
    assert client.post("/api/v1/reflections", json=body).status_code == 201
    assert client.post("/api/v1/reflections", json=body).status_code == 410
    unknown = client.post("/api/v1/reflections", json={**body, "link": "unknown-token-x"})
    assert unknown.status_code == 404
    empty = client.post("/api/v1/reflections", json={"link": tokens[2], "learned": ""})
    assert empty.status_code == 422
    assert empty.json()["problems"] and "write what you learned" in empty.json()["error"]
    cross = client.post(
        "/api/v1/reflections", json={**body, "link": tokens[2]}, headers={"origin": "http://evil"}
    )
    assert cross.status_code == 403
    assert entry_count(web_db) == 1 and used_count(web_db) == 1


def slack(client: TestClient, words: str):
    body = slash_body(words)
    return client.post(SLACK, content=body, headers=signed_headers(body, int(time.time()), SECRET))


def test_slack_reflect_is_stored_anonymously_and_counts_in_no_participation(
    client: TestClient, web_db: str, tokens
):
    response = slack(
        client,
        "reflect learned: a sample output beats long instructions | means: a prompt file | confidence: 4",
    )
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert "not in anyone's participation" in reply["text"]
    with session_scope(web_db) as session:
        [entry] = session.scalars(select(ReflectionEntry))
        stored = (entry.source, entry.step, entry.function, entry.learned, entry.means)
        assert stored == (
            "slack",
            None,
            None,
            "a sample output beats long instructions",
            "a prompt file",
        )
        assert entry.confidence == 4
    assert used_count(web_db) == 0
    with get_engine(web_db).connect() as connection:
        dumped = str(connection.execute(text("SELECT * FROM reflection_entry")).all())
    for value in IDENTIFYING.values():
        if value != "false":
            assert value not in dumped


@pytest.mark.parametrize(
    "words",
    ["reflect", "reflect confidence: 9 | learned: x", "reflect a | b | c", "reflect learned: |"],
)
def test_slack_reflect_mistakes_store_nothing(client: TestClient, web_db: str, words: str):
    reply = slack(client, words).json()
    assert "Nothing was stored." in reply["text"]
    assert entry_count(web_db) == 0


def test_slack_help_explains_reflect(client: TestClient, web_db: str):
    text_ = slack(client, "help").json()["text"]
    assert "reflect learned:" in text_ and "not in anyone's participation" in text_


def last_month_series(url: str, tmp_path: Path, answered: int = 0) -> list[str]:
    """14 engineers (12 in eng-payments, 2 in eng) trained on a day of last month, with
    their 'right after' links issued that day and `answered` of them used; their emails.
    The day is early enough that every link of last month has expired by today, so
    `gaplens release build` (here `build_all`) publishes last month."""
    day = dt.date.today().replace(day=1) - dt.timedelta(days=25)
    people = emails(url, "eng-payments", 12) + emails(url, "eng", 2)
    train(url, tmp_path, people, day)
    with session_scope(url) as session:
        schedule(session, day)
        links = issue_links(session, day, "http://testserver", today=day)
        for link in links[:answered]:
            answer = ReflectionIn(learned="Summaries save me time on the routine part")
            submit_reflection(session, link.url.rsplit("/", 1)[1], answer, today=day)
    with session_scope(url) as session:
        build_all(session, PrivacyPolicy())
    return people


def test_staff_view_and_api(client: TestClient, web_db: str, tmp_path: Path):
    """The release holds Payments' 12 links (7 used) as one class; Engineering's own two
    invitees are in no released group (two people, whatever they did, can never be shown),
    so every view counts 12, and the page says why the rest is not there."""
    people = last_month_series(web_db, tmp_path, answered=8)
    sign_in(client, "leader")
    page = client.get("/reflections?months=1")
    assert page.status_code == 200
    assert "Participation by step" in page.text and "<svg" in page.text
    assert "observational" in page.text.lower() and "Released through" in page.text
    api = client.get("/api/v1/reflections?months=1").json()
    now = api["steps"][0]
    assert (now["step"], now["invited"], now["reflected"]) == ("now", 12, 7)
    assert [g["label"] for g in now["groups"]] == ["Engineering"]
    assert api["steps"][1]["status"] == "not_enough_data"  # no +1-day link was sent
    assert "expired" in api["steps"][1]["reason"]
    assert api["themes"]["status"] == "not_enough_data"  # 8 reflections, fewer than 10
    dumped = str(api)
    for email in people:
        assert email not in dumped
    by_team = client.get("/api/v1/reflections?months=1&by=team").json()["steps"][0]
    assert [(g["key"], g["invited"]) for g in by_team["groups"]] == [("eng-payments", 12)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("months=0", "months"),
        ("by=person", "by"),
        ("team=eng&function=Engineering", "function"),
        ("function=Astrology", "function"),
        ("team=nope", "team"),
    ],
)
def test_staff_api_bad_input(client: TestClient, query: str, field: str):
    sign_in(client, "analyst")
    response = client.get(f"/api/v1/reflections?{query}")
    assert response.status_code == 422
    assert field in str(response.json()["problems"])


def test_filter_a_minus_filter_b_isolates_no_one_and_two_viewers_see_the_same(
    client: TestClient, web_db: str, tmp_path: Path
):
    """Engineering (14 sent) then eng-payments (12) used to be refused for the viewer who
    asked first (the per-viewer history) and shown to another: two invitees by subtraction.
    From the release both views count the same released class, for every viewer, in any
    order: there is nothing to subtract and nothing to refuse."""
    last_month_series(web_db, tmp_path, answered=8)
    views = (
        "/api/v1/reflections?months=1&function=Engineering",
        "/api/v1/reflections?months=1&team=eng-payments",
        "/api/v1/reflections?months=1&team=eng",
        "/api/v1/reflections?months=1",
    )
    seen: dict[str, list[object]] = {}
    for who in ("leader", "analyst"):
        sign_in(client, who)
        for url in views if who == "leader" else reversed(views):
            got = client.get(url)
            assert got.status_code == 200, got.text
            seen.setdefault(url, []).append(got.json())
    for url, (first, second) in seen.items():
        assert first == second, url
    counts = {url: answers[0]["steps"][0]["invited"] for url, answers in seen.items()}  # type: ignore[index]
    assert set(counts.values()) == {12}
    assert client.get("/reflections?months=1&team=eng-payments").status_code == 200


def test_admin_api_schedules_and_issues_links(client: TestClient, web_db: str, tmp_path: Path):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    train(web_db, tmp_path, emails(web_db, "support", 6), yesterday)
    sign_in(client, "leader")
    body = {"since": str(yesterday)}
    assert client.post("/api/v1/admin/reflections/schedule", json=body).status_code == 403
    sign_in(client, "admin")
    done = client.post("/api/v1/admin/reflections/schedule", json=body)
    assert done.status_code == 200 and done.json()["series_created"] == 6
    again = client.post("/api/v1/admin/reflections/schedule", json=body).json()
    assert again["series_created"] == 0 and again["already_scheduled"] == 6
    links = client.post(
        "/api/v1/admin/reflections/links",
        json={"due": str(dt.date.today()), "base_url": "https://gaplens.example"},
    )
    assert links.status_code == 200
    rows = links.json()
    assert len(rows) == 12 and rows[0]["url"].startswith("https://gaplens.example/r/")
    assert set(rows[0]) >= {"email", "step", "due_on", "url", "subject", "body"}
    bad = client.post("/api/v1/admin/reflections/schedule", json={"since": "soon"})
    assert bad.status_code == 422
    future = client.post(
        "/api/v1/admin/reflections/schedule",
        json={"since": str(dt.date.today() + dt.timedelta(days=3))},
    )
    assert future.status_code == 422 and future.json()["problems"][0]["field"] == "since"


@pytest.mark.browser
def test_answer_on_a_phone_and_the_staff_page_in_chromium(live_server: str, tokens, web_db: str):
    from playwright.sync_api import sync_playwright

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
            page.goto(f"{live_server}/r/{tokens[0]}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, "the answer page scrolls sideways on a phone"
            page.locator("#learned").fill("Give it an example of the output <b>first</b>")
            page.get_by_label("4").check()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "reflection-phone.png"), full_page=True)
            page.get_by_role("button", name="Send my reflection anonymously").click()
            page.get_by_role("heading", name="Thank you — your reflection is in").wait_for()
            staff = browser.new_page(viewport={"width": 1280, "height": 900})
            staff.goto(f"{live_server}/login?next=/reflections")
            staff.locator("#email").fill(STAFF["leader"][0])
            staff.locator("#password").fill(PASSWORD)
            staff.keyboard.press("Enter")
            staff.wait_for_url(re.compile(r".*/reflections"))
            chart = staff.locator("#participation-chart svg")
            chart.wait_for(state="visible", timeout=10_000)
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300
            staff.screenshot(path=str(ARTIFACTS / "reflections-staff.png"), full_page=True)
            staff.set_viewport_size({"width": 390, "height": 844})
            assert staff.evaluate("document.body.scrollWidth") <= 400
        finally:
            browser.close()
    assert outside == [] and errors == []
    with session_scope(web_db) as session:
        [entry] = session.scalars(select(ReflectionEntry))
        assert entry.learned == "Give it an example of the output <b>first</b>"
        assert entry.confidence == 4
