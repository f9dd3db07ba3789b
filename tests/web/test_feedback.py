"""The anonymous feedback channel: web form, Slack command, digest; nothing identifying kept."""

from __future__ import annotations

import datetime as dt
import html
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from gaplens.db.engine import get_engine, session_scope
from gaplens.feedback.models import FeedbackItem
from gaplens.feedback.schemas import FeedbackIn, FeedbackKind
from gaplens.feedback.service import submit_feedback
from gaplens.privacy import PrivacyPolicy
from gaplens.releases.feedback.periods import last_weeks
from gaplens.releases.feedback.service import build_feedback_release
from tests.integrations.slack_payloads import IDENTIFYING, signed_headers, slash_body
from tests.web.conftest import form_token, sign_in

SECRET = "test-secret"
SLACK = "/integrations/slack/command"


def items(url: str) -> list[FeedbackItem]:
    with session_scope(url) as session:
        return list(session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)))


def post_feedback(client: TestClient, **data: str):
    token = form_token(client, "/feedback")
    return client.post("/feedback", data={"form_token": token, **data})


def test_form_says_what_is_stored_and_stores_only_that(client: TestClient, web_db: str):
    page = client.get("/feedback")
    assert "What is stored, and what is not" in page.text
    assert "Not stored:" in page.text
    response = post_feedback(
        client, kind="friction", tool="Copilot", use_case="code review", text="It invents APIs."
    )
    assert response.status_code == 200 and "Thank you" in response.text
    [item] = items(web_db)
    assert (item.kind, item.tool, item.use_case, item.text, item.channel) == (
        "friction",
        "Copilot",
        "code review",
        "It invents APIs.",
        "web",
    )
    columns = {c["name"] for c in inspect(get_engine(web_db)).get_columns("feedback_item")}
    assert columns == {"id", "kind", "use_case", "tool", "text", "received_on", "channel"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "rant", "text": "hello there"}, "kind"),
        ({"kind": "idea", "text": ""}, "text"),
        ({"kind": "idea", "text": "x" * 2500}, "text"),
    ],
)
def test_bad_feedback_is_refused_with_the_field_named(
    client: TestClient, web_db: str, data, message
):
    response = post_feedback(client, **data)
    assert response.status_code == 422
    assert message in response.text
    assert items(web_db) == []


def test_html_in_feedback_is_inert(client: TestClient, web_db: str):
    post_feedback(
        client, kind="concern", text='<script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    assert items(web_db)[0].text.startswith("<script>")  # stored as typed ...
    sign_in(client, "leader")
    page = client.get("/digest")
    assert "<script>alert" not in page.text  # ... and never rendered as markup


def test_form_without_its_token_is_refused(client: TestClient, web_db: str):
    response = client.post("/feedback", data={"kind": "idea", "text": "something useful"})
    assert response.status_code == 403
    assert items(web_db) == []


def test_slack_command_stores_words_not_the_person(client: TestClient, web_db: str):
    body = slash_body("friction copilot code-review: it invents APIs and I spend 20 minutes fixing")
    response = client.post(
        SLACK,
        content=body,
        headers={
            **signed_headers(body, int(time.time()), SECRET),
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["response_type"] == "ephemeral"
    assert "Not stored" in reply["text"]
    [item] = items(web_db)
    assert (item.kind, item.tool, item.use_case, item.channel) == (
        "friction",
        "copilot",
        "code-review",
        "slack",
    )
    stored = " ".join(str(v) for v in (item.kind, item.tool, item.use_case, item.text))
    for value in IDENTIFYING.values():
        assert str(value) not in stored


def test_slack_rejects_forged_stale_and_replayed_requests(client: TestClient, web_db: str):
    body = slash_body("idea: run a lunch and learn")
    now = int(time.time())
    forged = client.post(SLACK, content=body, headers=signed_headers(body, now, "wrong-secret"))
    assert forged.status_code == 401
    stale = client.post(SLACK, content=body, headers=signed_headers(body, now - 301, SECRET))
    assert stale.status_code == 401
    headers = signed_headers(body, now, SECRET)
    assert client.post(SLACK, content=body, headers=headers).status_code == 200
    replay = client.post(SLACK, content=body, headers=headers)
    assert replay.status_code == 409
    assert len(items(web_db)) == 1


def test_slack_help_stores_nothing(client: TestClient, web_db: str):
    body = slash_body("help")
    response = client.post(
        SLACK, content=body, headers=signed_headers(body, int(time.time()), SECRET)
    )
    assert response.status_code == 200 and "friction" in response.json()["text"]
    assert items(web_db) == []


def add_items(url: str, day: dt.date, kind: FeedbackKind, count: int, text: str) -> None:
    with session_scope(url) as session:
        for n in range(count):
            submit_feedback(session, FeedbackIn(kind=kind, text=f"{text} {n}"), "web", day)


def build(url: str) -> None:
    with session_scope(url) as session:
        build_feedback_release(session, PrivacyPolicy())


def test_digest_reads_the_release_the_same_for_every_viewer(client: TestClient, web_db: str):
    """Last week's 20 items are one published group: every count is shown (a kind of 3 in a
    group of 20 isolates no one; the old per-request digest hid it and, by the remainder
    rule, the 5 concerns too). Two staff members get the same JSON; an item sent today is
    not in it, since its week is not over."""
    wednesday = last_weeks(dt.date.today(), 1)[0] + dt.timedelta(days=2)
    add_items(web_db, wednesday, FeedbackKind.FRICTION, 12, "The assistant invents APIs")
    add_items(web_db, wednesday, FeedbackKind.IDEA, 3, "Share prompt templates")
    add_items(web_db, wednesday, FeedbackKind.CONCERN, 5, "Will the assistant replace my role")
    post_feedback(client, kind="idea", text="sent today, released next week at the earliest")
    build(web_db)
    answers = []
    for who in ("leader", "analyst"):
        sign_in(client, who)
        answers.append(client.get("/api/v1/feedback/digest").json())
    assert answers[0] == answers[1]
    digest = answers[0]
    kinds = {k["kind"]: k["count"] for k in digest["kinds"]}
    assert digest["total"] == 20 and digest["release"] == 1
    assert kinds == {"working": 0, "friction": 12, "idea": 3, "concern": 5}
    page = client.get("/digest")
    assert page.status_code == 200 and "Friction · 12" in page.text and "Idea · 3" in page.text


def test_two_weeks_minus_one_gives_nothing(client: TestClient, web_db: str):
    """The review's attack: `days=14` minus `days=7` used to give the week before, down to
    counts of 1 to 4. A quiet last week is not published alone, so there is nothing to take
    away; the hidden counts say why in words."""
    first, _ = last_weeks(dt.date.today(), 2)
    add_items(web_db, first, FeedbackKind.FRICTION, 4, "The assistant invents APIs")
    add_items(web_db, first, FeedbackKind.IDEA, 3, "Share prompt templates")
    add_items(web_db, first + dt.timedelta(days=8), FeedbackKind.CONCERN, 2, "My role")
    build(web_db)
    sign_in(client, "leader")
    week = client.get("/api/v1/feedback/digest").json()
    two = client.get("/api/v1/feedback/digest?days=14").json()
    assert week["total"] == 0 and all(k["count"] is None for k in week["kinds"])
    assert "no group of at least 5" in week["kinds"][0]["hidden_reason"]
    assert two["total"] == 7 and {k["kind"]: k["count"] for k in two["kinds"]}["concern"] == 0
    assert two["period_from"] == first.isoformat()
    page = client.get("/digest?days=7")  # last week, as the API
    assert html.escape(week["kinds"][0]["hidden_reason"]) in page.text


def test_abuse_limit_without_storing_an_address(client: TestClient, web_db: str):
    for n in range(20):
        assert post_feedback(client, kind="idea", text=f"idea number {n}").status_code == 200
    assert post_feedback(client, kind="idea", text="one too many").status_code == 429
    limiter = client.app.state.feedback_limiter  # type: ignore[attr-defined]
    assert all("testclient" not in key for key in limiter._hits)
    assert len(items(web_db)) == 20
