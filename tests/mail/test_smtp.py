"""Invitations and reminders through a real SMTP server on loopback (STARTTLS, AUTH), read
as they arrive, followed through the real app; both backends."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app as cli
from gaplens.db.engine import session_scope
from gaplens.directory.models import Person
from gaplens.mail.models import MailInvitation, MailRound
from gaplens.mail.runner import send_now
from gaplens.mail.service import schedule_survey
from gaplens.surveys.models import Survey, SurveyLink
from gaplens.surveys.service import find_survey
from tests.mail.conftest import DisconnectingServer, SmtpServer, small_team
from tests.web.conftest import form_token, sign_in
from tests.web.test_surveys_online import ANSWERS, submit_page

LINK = re.compile(r"http://testserver(/s/[A-Za-z0-9_-]+)")
TODAY = dt.date.today()


def scheduled(url: str, team: str, **kwargs: object) -> int:
    with session_scope(url) as session:
        survey = find_survey(session, None)
        schedule_survey(
            session,
            survey,
            opens_on=TODAY,
            closes_on=TODAY + dt.timedelta(days=14),
            team=team,
            **kwargs,  # type: ignore[arg-type]
        )
        return survey.id


def token_in(message: object) -> str:
    return link_in(message).removeprefix("/s/")


def link_in(message: object) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def test_invitation_arrives_over_starttls_and_its_link_opens_the_survey(
    client: TestClient, web_db: str, mail_env: SmtpServer
):
    team, emails = small_team(web_db)
    sign_in(client, "admin")
    token = form_token(client, "/admin/mail")
    with session_scope(web_db) as session:
        survey_id = find_survey(session, None).id
    saved = client.post(
        "/admin/mail/schedule",
        data={
            "csrf_token": token,
            "survey_id": survey_id,
            "opens_on": TODAY.isoformat(),
            "closes_on": (TODAY + dt.timedelta(days=14)).isoformat(),
            "reminders": "3,7",
            "closing_reminder": "1",
            "team": team,
            "channel": "email",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    sent = client.post(f"/admin/mail/{survey_id}/send", data={"csrf_token": token})
    assert sent.status_code == 202 and "being sent" in sent.text

    handler = mail_env.handler
    assert sorted(a.to[0] for a in handler.arrived) == emails
    assert set(handler.logins) <= {"LOGIN", "PLAIN"} and handler.logins
    message = handler.to(emails[0])[0]
    assert message["From"] == "AI pulse <ai-pulse@northwind.example>"
    assert message["Subject"].startswith("Your invitation: ")
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    closes = TODAY + dt.timedelta(days=14)
    for body in (plain, html):
        assert f"{closes.day} {closes.strftime('%B %Y')}" in body
        assert "anonymous" in body and "at least 5 people" in body
    path = link_in(message)
    assert f'href="http://testserver{path}"' in html
    # Each person has their own link, and it works through the app.
    assert len({link_in(handler.to(e)[0]) for e in emails}) == len(emails)
    page = client.get(path)
    assert page.status_code == 200 and 'name="form_token"' in page.text

    overview = client.get("/admin/mail").text
    assert f'<td class="num">{len(emails)}</td><td class="num">0</td>' in overview
    with session_scope(web_db) as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail_send")).all()
        assert [(a.detail or {}).get("sent") for a in audit] == [len(emails)]
        assert audit[0].actor != "cli"
        schedule_audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail_schedule")
        ).all()
        assert len(schedule_audit) == 1
    # Sending again invites nobody twice.
    again = send_now(web_db, survey_id, "send", "cli")
    assert again.sent == 0 and len(handler.arrived) == len(emails)


def test_reminders_go_only_to_unused_invitations(
    client: TestClient, web_db: str, mail_env: SmtpServer
):
    team, emails = small_team(web_db)
    survey_id = scheduled(web_db, team)
    assert send_now(web_db, survey_id, "send", "cli").sent == len(emails)
    handler = mail_env.handler
    invited = {e: handler.to(e) for e in emails}
    answered = emails[1]
    response = submit_page(client, token_in(handler.to(answered)[0]), ANSWERS)
    assert response.status_code == 200

    handler.arrived.clear()
    result = CliRunner().invoke(cli, ["invitations", "remind", "--db", web_db, *[]], input=None)
    assert result.exit_code == 2  # no survey named: a clear usage error, nothing sent
    with session_scope(web_db) as session:
        name = session.get(Survey, survey_id).name  # type: ignore[union-attr]
    result = CliRunner().invoke(cli, ["invitations", "remind", name, "--db", web_db])
    assert result.exit_code == 0, result.output
    assert "reminder sent to every unused invitation" in result.output
    assert str(len(emails) - 1) not in result.output.split(":", 1)[1]  # no count of unanswered
    reminded = sorted(a.to[0] for a in handler.arrived)
    assert reminded == sorted(set(emails) - {answered})
    reminder = handler.to(emails[0])[0]
    assert reminder["Subject"].startswith("Reminder: ")
    invitation_links = {e: link_in(m) for e in emails for m in invited[e]}
    assert link_in(reminder) == invitation_links[emails[0]], "the same single-use link"
    with session_scope(web_db) as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail_remind")).one()
        assert audit.actor == "cli" and "sent" not in (audit.detail or {})

    # The closing reminder, likewise, misses whoever answered since.
    second = emails[0]
    assert submit_page(client, token_in(reminder), ANSWERS).status_code == 200
    handler.arrived.clear()
    send_now(web_db, survey_id, "remind-closing", "cli")
    assert sorted(a.to[0] for a in handler.arrived) == sorted(set(emails) - {answered, second})
    assert handler.arrived[0].message["Subject"].startswith("Last day tomorrow: ")


def test_a_refused_recipient_is_reported_to_admins(
    client: TestClient, web_db: str, mail_env: SmtpServer
):
    team, emails = small_team(web_db)
    mail_env.handler.refused.add(emails[0])
    survey_id = scheduled(web_db, team)
    report = send_now(web_db, survey_id, "send", "cli")
    assert (report.sent, report.bounced, report.failed) == (len(emails) - 1, 1, 0)
    with session_scope(web_db) as session:
        row = session.scalars(
            select(MailInvitation).where(MailInvitation.status == "bounced")
        ).one()
        assert row.address == emails[0] and row.detail and row.detail.startswith("550 5.1.1")
        # Never delivered, so no link of it counts as sent.
        assert (
            session.scalars(select(SurveyLink).where(SurveyLink.person_id == row.person_id)).all()
            == []
        )
    sign_in(client, "admin")
    page = client.get("/admin/mail").text
    assert emails[0] in page and "550 5.1.1" in page and "bounced" in page
    assert not any(e in page for e in emails[1:]), "only failing addresses are listed"


def test_a_server_that_is_down_is_retried_then_reported(
    web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    team, emails = small_team(web_db)
    survey_id = scheduled(web_db, team)
    down = DisconnectingServer()
    monkeypatch.setenv("GAPLENS_SMTP_PORT", str(down.port))
    try:
        started = time.monotonic()
        report = send_now(web_db, survey_id, "send", "cli")
        elapsed = time.monotonic() - started
    finally:
        down.close()
    assert down.connections == 3, "three tries (GAPLENS_MAIL_ATTEMPTS default)"
    assert elapsed >= 0.05 + 0.1, "waits 0.05 s, then twice that"
    assert (
        report.sent == 0
        and report.stopped
        and "could not be reached after 3 tries" in (report.stopped)
    )
    assert report.not_attempted == len(emails)
    with session_scope(web_db) as session:
        note = session.scalars(select(MailRound.note)).one()
        assert note and "could not be reached" in note
        assert session.scalars(select(MailInvitation)).all() == []
        pilots = select(Person.id).where(Person.email.in_(emails))
        links = select(SurveyLink).where(SurveyLink.person_id.in_(pilots))
        assert session.scalars(links).all() == [], "nothing delivered, so no link counts"
    # Back up: the next send reaches everyone, and the round's note is cleared.
    monkeypatch.setenv("GAPLENS_SMTP_PORT", str(mail_env.port))
    assert send_now(web_db, survey_id, "send", "cli").sent == len(emails)
    with session_scope(web_db) as session:
        assert session.scalars(select(MailRound.note)).one() is None


def test_sending_keeps_to_the_rate_limit(
    web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    team, emails = small_team(web_db, people=5)
    survey_id = scheduled(web_db, team)
    monkeypatch.setenv("GAPLENS_MAIL_PER_MINUTE", "120")  # one message every 0.5 s
    send_now(web_db, survey_id, "send", "cli")
    times = [a.at for a in mail_env.handler.arrived]
    assert len(times) == len(emails) >= 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.45, gaps


def test_wrong_password_or_settings_are_clear_errors(
    web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    team, _ = small_team(web_db)
    survey_id = scheduled(web_db, team)
    monkeypatch.setenv("GAPLENS_SMTP_PASSWORD", "wrong")
    report = send_now(web_db, survey_id, "send", "cli")
    assert report.stopped and "refused GAPLENS_SMTP_USERNAME / password: 535" in report.stopped
    assert mail_env.handler.arrived == []
    monkeypatch.setenv("GAPLENS_SMTP_SECURITY", "ssl3")
    with session_scope(web_db) as session:
        name = session.get(Survey, survey_id).name  # type: ignore[union-attr]
    result = CliRunner().invoke(cli, ["invitations", "send", name, "--db", web_db])
    assert result.exit_code == 2
    assert "GAPLENS_SMTP_SECURITY='ssl3' must be starttls, tls or none" in result.output
    assert "Traceback" not in result.output
