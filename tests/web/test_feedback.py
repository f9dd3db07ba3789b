"""The anonymous feedback channel: web form, Slack command, digest; nothing identifying kept."""

from __future__ import annotations

import html
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from gaplens.db.engine import get_engine, session_scope
from gaplens.feedback.models import FeedbackItem
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


def test_digest_withholds_small_groups_and_shows_themes_above_ten(client: TestClient, web_db: str):
    for n in range(12):
        post_feedback(
            client,
            kind="friction",
            text=f"The code review assistant invents APIs and wastes my time, case {n}",
        )
    for n in range(3):
        post_feedback(client, kind="idea", text=f"Share prompt templates across teams {n}")
    for n in range(5):
        post_feedback(client, kind="concern", text=f"Will the assistant replace my role {n}")
    sign_in(client, "leader")
    digest = client.get("/api/v1/feedback/digest").json()
    kinds = {k["kind"]: k for k in digest["kinds"]}
    assert digest["total"] == 20
    assert kinds["friction"]["count"] == 12
    assert len(kinds["friction"]["comments"]) == 5
    assert all(set(c) == {"text", "month"} for c in kinds["friction"]["comments"])
    assert kinds["idea"]["count"] is None and kinds["idea"]["comments"] == []
    assert kinds["idea"]["themes"] == []
    # 20 - 12 - 5 would be the 3 ideas: the 5 concerns are hidden too, and say why.
    assert kinds["concern"]["count"] is None
    assert "total minus the shown counts" in kinds["concern"]["hidden_reason"]
    page = client.get("/digest")
    assert page.status_code == 200 and "Friction · 12" in page.text
    assert "Concern · 5" not in page.text and "Concern · not shown" in page.text
    assert html.escape(kinds["concern"]["hidden_reason"]) in page.text
    assert html.escape(kinds["idea"]["hidden_reason"]) in page.text


def test_digest_hides_a_large_kind_whose_remainder_is_small(client: TestClient, web_db: str):
    """The review's case: 12 of 15 shown would give away the other 3."""
    for n in range(12):
        post_feedback(client, kind="friction", text=f"The assistant invents APIs, case {n}")
    for n in range(3):
        post_feedback(client, kind="idea", text=f"Share prompt templates across teams {n}")
    sign_in(client, "leader")
    digest = client.get("/api/v1/feedback/digest").json()
    assert digest["total"] == 15
    assert all(k["count"] is None and k["hidden_reason"] for k in digest["kinds"])
    page = client.get("/digest")
    assert "Friction · 12" not in page.text and "Friction · not shown" in page.text


def test_abuse_limit_without_storing_an_address(client: TestClient, web_db: str):
    for n in range(20):
        assert post_feedback(client, kind="idea", text=f"idea number {n}").status_code == 200
    assert post_feedback(client, kind="idea", text="one too many").status_code == 429
    limiter = client.app.state.feedback_limiter  # type: ignore[attr-defined]
    assert all("testclient" not in key for key in limiter._hits)
    assert len(items(web_db)) == 20
