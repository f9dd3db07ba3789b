"""The Teams outgoing webhook over real HTTP (uvicorn on loopback): signed, fresh, once,
from an allowed tenant; nothing of a channel message stored (the channel shows its sender),
the reply pointing to the private form, prefilled, or to the private way to reflect."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import inspect, select, text

from gaplens.db.engine import get_engine, session_scope
from gaplens.feedback.models import FeedbackItem
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.integrations.teams_payloads import (
    IDENTIFYING,
    OTHER_TOKEN,
    TENANT,
    TOKEN,
    activity,
    body_of,
    signature,
    signed,
)
from tests.web.conftest import served

TEAMS = "/integrations/teams/message"


def app_settings(web_db: str, **changes: Any) -> WebSettings:
    defaults: dict[str, Any] = {
        "database_url": web_db,
        "secure_cookies": False,
        "slack_signing_secret": None,
        "teams_security_tokens": (OTHER_TOKEN, TOKEN),
        "teams_tenant_ids": (TENANT,),
    }
    return WebSettings(**{**defaults, **changes})


@pytest.fixture
def teams(web_db: str) -> Iterator[httpx.Client]:
    with (
        served(create_app(app_settings(web_db))) as origin,
        httpx.Client(base_url=origin, timeout=10) as client,
    ):
        yield client


def post(client: httpx.Client, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(TEAMS, content=body, headers=headers)


def send(client: httpx.Client, words: str, **kwargs: Any) -> httpx.Response:
    body = body_of(activity(words, time.time(), **kwargs))
    return post(client, body, signed(body))


def feedback_rows(url: str) -> list[FeedbackItem]:
    with session_scope(url) as session:
        return list(session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)))


def replay_keys(url: str) -> list[str]:
    with get_engine(url).connect() as connection:
        return list(connection.execute(text("SELECT signature FROM slack_replay")).scalars())


def row_counts(url: str) -> dict[str, int]:
    """Rows in every table of the database (feedback, reflections and everything else)."""
    engine = get_engine(url)
    with engine.connect() as connection:
        return {
            name: int(connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one())
            for name in inspect(engine).get_table_names()
        }


def added_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


WORDS = "it invents APIs, Megan spends 20 minutes fixing"
MESSAGES = [
    f"friction copilot code-review: {WORDS}",
    f"working tool=chatgpt use=notes: {WORDS}",
    f"idea {WORDS}",
    "reflect learned: examples beat long rules | means: a prompt file | confidence: 4",
    "reflect examples beat long rules",
    f"rant: {WORDS}",
    "idea " + "x" * 2_001,
]


@pytest.mark.parametrize("words", MESSAGES)
def test_a_channel_message_with_words_stores_no_row_and_the_reply_does_not_echo_them(
    teams: httpx.Client, web_db: str, caplog: pytest.LogCaptureFixture, words: str
):
    caplog.set_level(logging.DEBUG)
    before = row_counts(web_db)
    response = send(teams, words)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["type"] == "message"
    assert "Nothing was kept." in reply["text"]
    # Only the replay guard's keyed hash is written: no feedback, no reflection, nothing else.
    assert added_rows(before, row_counts(web_db)) == {"slack_replay": 1}
    [key] = replay_keys(web_db)
    assert key.startswith("teams:") and len(key) == len("teams:") + 64
    for echo in ("invents", "Megan", "examples", "prompt file", "xxxxxxxx"):
        assert echo not in reply["text"]
    logged = caplog.text
    assert TEAMS in logged  # the capture is live (the client logs the request line)
    for value in (*IDENTIFYING.values(), TENANT, "Megan", "invents", "examples"):
        assert value not in logged


def test_the_prefilled_link_opens_the_form_with_the_fields_selected(
    teams: httpx.Client, web_db: str
):
    reply = send(teams, f"friction copilot code-review: {WORDS}").json()["text"]
    [link] = re.findall(r"http://\S+/feedback\?\S+", reply)
    assert parse_qs(urlsplit(link).query) == {
        "kind": ["friction"],
        "tool": ["copilot"],
        "use_case": ["code-review"],
    }
    page = teams.get(link)
    assert page.status_code == 200
    assert re.search(r'value="friction" required checked', page.text)
    assert len(re.findall(r"required checked", page.text)) == 1
    assert 'id="tool" name="tool" maxlength="100" value="copilot"' in page.text
    assert 'id="use_case" name="use_case" maxlength="100" value="code-review"' in page.text
    # Sending the prefilled form stores the feedback from the browser, not from Teams.
    token = form_token_of(page)
    stored = teams.post(
        "/feedback",
        data={
            "form_token": token,
            "kind": "friction",
            "tool": "copilot",
            "use_case": "code-review",
            "text": "It invents APIs.",
        },
    )
    assert stored.status_code == 200, stored.text
    [item] = feedback_rows(web_db)
    assert (item.kind, item.tool, item.use_case, item.channel) == (
        "friction",
        "copilot",
        "code-review",
        "web",
    )


def test_the_form_never_takes_words_from_the_url(teams: httpx.Client):
    page = teams.get("/feedback", params={"kind": "idea", "text": "secret words here"})
    assert page.status_code == 200
    assert "secret words" not in page.text
    assert 'value="idea" required checked' in page.text
    unknown = teams.get("/feedback", params={"kind": "rant", "tool": "<b>x</b>"})
    assert unknown.status_code == 200 and "checked" not in unknown.text
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in unknown.text  # escaped like any value
    too_long = teams.get("/feedback", params={"tool": "x" * 101})
    assert too_long.status_code == 422 and "tool" in too_long.text


def form_token_of(page: httpx.Response) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def test_without_words_the_reply_is_a_quick_route_to_the_form(teams: httpx.Client, web_db: str):
    before = row_counts(web_db)
    reply = send(teams, "friction copilot").json()["text"]
    assert "Nothing was kept." not in reply
    [link] = re.findall(r"http://\S+/feedback\?\S+", reply)
    assert parse_qs(urlsplit(link).query) == {"kind": ["friction"], "tool": ["copilot"]}
    assert added_rows(before, row_counts(web_db)) == {"slack_replay": 1}


def test_the_link_points_at_the_configured_base_url(web_db: str):
    settings = app_settings(web_db, base_url="https://gaplens.example.com")
    with served(create_app(settings)) as origin, httpx.Client(base_url=origin) as client:
        reply = send(client, "idea: x").json()["text"]
    assert "https://gaplens.example.com/feedback?kind=idea" in reply
    assert "127.0.0.1" not in reply


def test_help_explains_the_channel_and_stores_nothing(teams: httpx.Client, web_db: str):
    before = row_counts(web_db)
    help_reply = send(teams, "help", activity_id="1").json()["text"]
    assert "@gaplens friction copilot code-review" in help_reply
    assert "Everyone in a Teams channel sees who wrote a message" in help_reply
    assert "personal reflection link" in help_reply
    assert added_rows(before, row_counts(web_db)) == {"slack_replay": 1}


def refused(response: httpx.Response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert reason in response.json()["error"]


def test_forged_unsigned_and_tampered_messages_are_refused(teams: httpx.Client, web_db: str):
    body = body_of(activity("idea: run a lunch and learn", time.time()))
    forged = post(teams, body, {"authorization": signature(body, "A" * 43 + "=")})
    refused(forged, 401, "bad request signature")
    refused(post(teams, body, {}), 401, "missing Authorization header")
    tampered = body.replace(b"run a lunch", b"cancel the lunch")
    refused(post(teams, tampered, signed(body)), 401, "bad request signature")
    assert feedback_rows(web_db) == [] and replay_keys(web_db) == []


def test_stale_and_future_activities_are_refused(teams: httpx.Client, web_db: str):
    for at in (time.time() - 301, time.time() + 301):
        body = body_of(activity("idea: x", at))
        refused(post(teams, body, signed(body)), 401, "outside the 5-minute window")
    assert feedback_rows(web_db) == [] and replay_keys(web_db) == []


def test_a_replayed_activity_is_refused_and_stored_once(teams: httpx.Client, web_db: str):
    body = body_of(activity("idea: a shared prompt library", time.time()))
    assert post(teams, body, signed(body)).status_code == 200
    refused(post(teams, body, signed(body)), 409, "replayed activity")
    # The same activity id in another conversation is another message.
    other = activity("idea: a shared prompt library", time.time())
    other["conversation"]["id"] = "19:another@thread.tacv2;messageid=1481567603816"
    other_body = body_of(other)
    assert post(teams, other_body, signed(other_body)).status_code == 200
    assert len(replay_keys(web_db)) == 2 and feedback_rows(web_db) == []


def test_an_activity_from_another_tenant_is_refused(teams: httpx.Client, web_db: str):
    refused(send(teams, "idea: x", tenant="00000000-0000-0000-0000-000000000000"), 403, "tenant")
    no_tenant = activity("idea: x", time.time())
    del no_tenant["channelData"]["tenant"]
    body = body_of(no_tenant)
    refused(post(teams, body, signed(body)), 403, "tenant")
    assert feedback_rows(web_db) == [] and replay_keys(web_db) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed JSON body"),
        (b"\xff\xfe", "malformed JSON body"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "message", "id": "1", "timestamp": "2026-01-01T00:00:00Z"}', "'text'"),
        (json.dumps({"type": "invoke", "id": "1"}).encode(), "'type'"),
        (json.dumps({"type": "message", "text": "idea: x"}).encode(), "'id'"),
        (json.dumps({"type": "message", "id": "1", "text": "x"}).encode(), "'timestamp'"),
        (
            json.dumps({"type": "message", "id": "1", "text": "x", "timestamp": "yesterday"}),
            "ISO 8601",
        ),
        (
            json.dumps({"type": "message", "id": "1", "text": "x", "timestamp": "2026-01-01"}),
            "time zone",
        ),
        (
            json.dumps(
                {
                    "type": "message",
                    "id": "1",
                    "text": "x",
                    "timestamp": "2026-01-01T00:00:00Z",
                    "conversation": "19:abc",
                }
            ),
            "'conversation'",
        ),
    ],
)
def test_malformed_signed_bodies_are_400_naming_the_field(
    teams: httpx.Client, web_db: str, body: bytes | str, reason: str
):
    raw = body.encode() if isinstance(body, str) else body
    refused(post(teams, raw, signed(raw)), 400, reason)
    assert feedback_rows(web_db) == [] and replay_keys(web_db) == []


def test_rotation_either_token_verifies(teams: httpx.Client, web_db: str):
    body = body_of(activity("working: summaries save an hour", time.time(), activity_id="9"))
    assert post(teams, body, signed(body, OTHER_TOKEN)).status_code == 200
    assert len(replay_keys(web_db)) == 1


def test_without_a_token_the_endpoint_is_503_and_stores_nothing(web_db: str):
    settings = app_settings(web_db, teams_security_tokens=())
    with served(create_app(settings)) as origin, httpx.Client(base_url=origin) as client:
        response = send(client, "idea: x")
    refused(response, 503, "not configured")
    assert feedback_rows(web_db) == []


def test_the_tokens_never_appear_in_the_settings_repr(web_db: str):
    settings = app_settings(web_db)
    assert TOKEN not in repr(settings) and OTHER_TOKEN not in repr(settings)


def test_tokens_and_tenants_come_from_the_environment(web_db: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GAPLENS_TEAMS_SECURITY_TOKENS", f" {TOKEN} , {OTHER_TOKEN},")
    monkeypatch.setenv("GAPLENS_TEAMS_TENANT_IDS", TENANT)
    settings = WebSettings.from_environment(web_db)
    assert settings.teams_security_tokens == (TOKEN, OTHER_TOKEN)
    assert settings.teams_tenant_ids == (TENANT,)
