"""Invitations as Slack direct messages, against a local server speaking the two Web API
methods as Slack documents them: users.lookupByEmail, then chat.postMessage to the user id;
`ok: false` errors (users_not_found, invalid_auth) and HTTP 429 with Retry-After."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from gaplens.db.engine import session_scope
from gaplens.mail.models import MailInvitation
from gaplens.mail.runner import send_now
from tests.mail.conftest import small_team
from tests.mail.test_languages import set_languages
from tests.mail.test_smtp import LINK, scheduled
from tests.web.conftest import sign_in
from tests.web.test_surveys_online import ANSWERS, submit_page

TOKEN = "xoxb-test-token"


@dataclass
class FakeSlack:
    users: dict[str, str]
    rate_limit_first: int = 0
    fail_auth: bool = False
    posted: list[dict[str, object]] = field(default_factory=list)
    calls: list[tuple[str, float]] = field(default_factory=list)

    def _json(self, body: dict[str, object], status: int = 200, **headers: str) -> Response:
        return Response(
            json.dumps(body),
            status=status,
            headers=headers,
            content_type="application/json; charset=utf-8",
        )

    def lookup(self, request: Request) -> Response:
        self.calls.append(("users.lookupByEmail", time.monotonic()))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}" or self.fail_auth:
            return self._json({"ok": False, "error": "invalid_auth"})
        if self.rate_limit_first > 0:
            self.rate_limit_first -= 1
            return self._json({"ok": False, "error": "ratelimited"}, 429, **{"Retry-After": "1"})
        email = request.args.get("email", "")
        if email not in self.users:
            return self._json({"ok": False, "error": "users_not_found"})
        return self._json({"ok": True, "user": {"id": self.users[email], "name": "x"}})

    def post(self, request: Request) -> Response:
        self.calls.append(("chat.postMessage", time.monotonic()))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json({"ok": False, "error": "not_authed"})
        assert request.content_type.startswith("application/json")
        body = json.loads(request.get_data())
        self.posted.append(body)
        return self._json({"ok": True, "channel": "D0" + body["channel"], "ts": "1.000100"})


@pytest.fixture
def slack(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    fake = FakeSlack(users={})
    httpserver.expect_request("/api/users.lookupByEmail", method="GET").respond_with_handler(
        fake.lookup
    )
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_handler(
        fake.post
    )
    monkeypatch.setenv("GAPLENS_SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("GAPLENS_SLACK_API_URL", httpserver.url_for("/api"))
    monkeypatch.setenv("GAPLENS_BASE_URL", "http://testserver")
    monkeypatch.setenv("GAPLENS_MAIL_RETRY_SECONDS", "0.05")
    monkeypatch.setenv("GAPLENS_MAIL_PER_MINUTE", "6000")
    return fake


def test_direct_messages_carry_working_links_and_unknown_users_bounce(
    client: TestClient, web_db: str, slack: FakeSlack
):
    team, emails = small_team(web_db)
    slack.users = {e: f"U{n:03d}" for n, e in enumerate(emails[1:], start=1)}
    survey_id = scheduled(web_db, team, channel="slack")
    report = send_now(web_db, survey_id, "send", "cli")
    assert (report.sent, report.bounced) == (len(emails) - 1, 1)
    assert sorted(p["channel"] for p in slack.posted) == sorted(slack.users.values())
    text = str(slack.posted[0]["text"])
    assert "Your personal link (it works once)" in text and "anonymous" in text
    match = LINK.search(text)
    assert match
    assert submit_page(client, match.group(1).removeprefix("/s/"), ANSWERS).status_code == 200
    with session_scope(web_db) as session:
        bounced = session.scalars(select(MailInvitation).where(MailInvitation.status == "bounced"))
        row = bounced.one()
        assert row.address == emails[0] and row.channel == "slack"
        assert row.detail == "Slack users.lookupByEmail: users_not_found"
    sign_in(client, "admin")
    page = client.get("/admin/mail").text
    assert emails[0] in page and "users_not_found" in page

    # A reminder by Slack goes to unused invitations only: not to whoever answered (the
    # first message's recipient), not to the address that bounced (it holds no invitation).
    answered = slack.posted[0]["channel"]
    slack.posted.clear()
    send_now(web_db, survey_id, "remind", "cli")
    reminded = sorted(str(p["channel"]) for p in slack.posted)
    assert reminded == sorted(set(slack.users.values()) - {answered})
    assert all("A reminder:" in str(p["text"]) for p in slack.posted)


def test_ratelimited_waits_for_retry_after(web_db: str, slack: FakeSlack):
    team, emails = small_team(web_db, people=3)
    slack.users = {e: f"U{n}" for n, e in enumerate(emails)}
    slack.rate_limit_first = 1
    survey_id = scheduled(web_db, team, channel="slack")
    report = send_now(web_db, survey_id, "send", "cli")
    assert report.sent == len(emails)
    (first, _), (second, retried) = slack.calls[0], slack.calls[1]
    assert first == second == "users.lookupByEmail"
    assert retried - slack.calls[0][1] >= 1.0, "waited the Retry-After second"


def test_a_refused_token_stops_the_round_with_a_clear_message(web_db: str, slack: FakeSlack):
    team, emails = small_team(web_db, people=3)
    slack.users = {e: f"U{n}" for n, e in enumerate(emails)}
    slack.fail_auth = True
    survey_id = scheduled(web_db, team, channel="slack")
    report = send_now(web_db, survey_id, "send", "cli")
    assert report.sent == 0 and report.not_attempted == len(emails)
    assert (
        report.stopped
        == "Slack refused GAPLENS_SLACK_BOT_TOKEN (users.lookupByEmail: invalid_auth)"
    )
    assert slack.posted == []


def test_direct_messages_are_in_the_persons_language(web_db: str, slack: FakeSlack):
    team, emails = small_team(web_db, people=2)
    slack.users = {e: f"U{n:03d}" for n, e in enumerate(emails, start=1)}
    set_languages(web_db, {emails[0]: "ja", emails[1]: "es-MX"})
    survey_id = scheduled(web_db, team, channel="slack")
    assert send_now(web_db, survey_id, "send", "cli").sent == 2
    texts = {str(p["channel"]): str(p["text"]) for p in slack.posted}
    assert "あなた専用のリンク（一度だけ使えます）：" in texts["U001"]
    assert "?lang=ja" in texts["U001"] and "anonymous" not in texts["U001"]
    assert texts["U002"].startswith("Hola, Pilot 2:")
    assert "Tu enlace personal (funciona una sola vez):" in texts["U002"]
