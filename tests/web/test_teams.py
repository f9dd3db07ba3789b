"""The Teams outgoing webhook over real HTTP (uvicorn on loopback): signed, fresh, once,
from an allowed tenant; feedback and reflections stored with nothing of the sender."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from gaplens.db.engine import get_engine, session_scope
from gaplens.feedback.models import FeedbackItem
from gaplens.reflections.models import ReflectionEntry
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


def dump(url: str, table: str) -> str:
    with get_engine(url).connect() as connection:
        return str(connection.execute(text(f"SELECT * FROM {table}")).all())


def replay_keys(url: str) -> list[str]:
    with get_engine(url).connect() as connection:
        return list(connection.execute(text("SELECT signature FROM slack_replay")).scalars())


def test_feedback_is_stored_with_words_and_day_and_nothing_of_the_sender(
    teams: httpx.Client, web_db: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    response = send(teams, "friction copilot code-review: it invents APIs, 20 minutes fixing")
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["type"] == "message"
    assert "Not stored: your Teams name, ids, tenant, team or channel." in reply["text"]
    assert "*friction*" in reply["text"] and "copilot" in reply["text"]
    [item] = feedback_rows(web_db)
    assert (item.kind, item.tool, item.use_case, item.text, item.channel) == (
        "friction",
        "copilot",
        "code-review",
        "it invents APIs, 20 minutes fixing",
        "teams",
    )
    stored = dump(web_db, "feedback_item") + dump(web_db, "slack_replay")
    logged = caplog.text
    assert TEAMS in logged  # the capture is live (the client logs the request line)
    for value in IDENTIFYING.values():
        assert value not in stored
        assert value not in logged
    for value in (TENANT, "1481567603816", "Megan", "gaplens</at>"):
        assert value not in stored and value not in logged
    # The replay guard holds a keyed hash of the activity, not its ids.
    [key] = replay_keys(web_db)
    assert key.startswith("teams:") and len(key) == len("teams:") + 64


def test_a_reflection_is_stored_anonymously(teams: httpx.Client, web_db: str):
    response = send(
        teams, "reflect learned: examples beat long rules | means: a prompt file | confidence: 4"
    )
    assert response.status_code == 200, response.text
    assert "not in anyone's participation" in response.json()["text"]
    with session_scope(web_db) as session:
        [entry] = session.scalars(select(ReflectionEntry))
        assert (entry.source, entry.step, entry.function, entry.learned, entry.means) == (
            "teams",
            None,
            None,
            "examples beat long rules",
            "a prompt file",
        )
        assert entry.confidence == 4
    dumped = dump(web_db, "reflection_entry")
    for value in IDENTIFYING.values():
        assert value not in dumped


def test_help_and_mistakes_store_nothing(teams: httpx.Client, web_db: str):
    help_reply = send(teams, "help", activity_id="1").json()["text"]
    assert "@gaplens friction copilot code-review" in help_reply
    assert "seen by the channel's members" in help_reply
    assert "Nothing was stored." in send(teams, "rant: x", activity_id="2").json()["text"]
    assert "Nothing was stored." in send(teams, "reflect a | b | c", activity_id="3").json()["text"]
    assert feedback_rows(web_db) == []
    assert dump(web_db, "reflection_entry") == "[]"


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
    assert len(feedback_rows(web_db)) == 2


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
    assert len(feedback_rows(web_db)) == 1


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
