"""The schedule, day by day, against the real SMTP server: the invitation at open, each
reminder once and only to unused invitations, the closing reminder the day before."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gaplens.audit.models import AuditEvent
from gaplens.db.engine import session_scope
from gaplens.mail.channels import Throttle
from gaplens.mail.runner import channel_from_environment
from gaplens.mail.service import run_due
from gaplens.mail.settings import SendingSettings
from gaplens.releases.schedule.models import ReleaseBuildLease
from gaplens.web.app import create_app
from gaplens.web.settings import WebSettings
from tests.mail.conftest import SmtpServer, small_team
from tests.mail.test_smtp import scheduled, token_in
from tests.web.test_surveys_online import ANSWERS, submit_page


def test_each_round_runs_once_on_its_day(client: TestClient, web_db: str, mail_env: SmtpServer):
    team, emails = small_team(web_db)
    opens = dt.date.today()
    survey_id = scheduled(web_db, team, reminder_days=[3, 7])
    handler = mail_env.handler
    sending = SendingSettings.from_environment()

    def day(offset: int) -> list[tuple[str, list[str]]]:
        handler.arrived.clear()
        reports = run_due(
            web_db,
            lambda name: channel_from_environment(name, sending),
            Throttle(sending.per_minute),
            base_url=sending.base_url,
            k=5,
            today=opens + dt.timedelta(days=offset),
        )
        assert all(r.stopped is None for r in reports)
        return [(r.kind, sorted(a.to[0] for a in handler.arrived)) for r in reports]

    assert day(0) == [("invitation", emails)]
    first_links = {e: token_in(handler.to(e)[0]) for e in emails}
    assert day(0) == [] and day(1) == [] and day(2) == []
    assert submit_page(client, first_links[emails[0]], ANSWERS).status_code == 200
    assert day(3) == [("reminder", emails[1:])]
    assert day(3) == [] and day(4) == []
    assert submit_page(client, first_links[emails[1]], ANSWERS).status_code == 200
    assert day(8) == [("reminder", emails[2:])], "day 7's reminder, run late, once"
    assert day(8) == []
    assert day(13) == [("closing", emails[2:])], "the day before the close (14 days)"
    assert day(13) == [] and day(14) == [], "nothing on or after the close day"
    assert survey_id


def test_the_web_server_sends_what_is_due_on_its_own(
    web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    team, emails = small_team(web_db)
    scheduled(web_db, team)
    app = create_app(
        WebSettings(
            database_url=web_db,
            secure_cookies=False,
            slack_signing_secret="test-secret",
            mail_schedule="every 1s",
        )
    )
    with TestClient(app, base_url="http://testserver") as client:
        scheduler = app.state.mail_scheduler
        assert scheduler is not None and scheduler.running
        deadline = time.monotonic() + 20
        while len(mail_env.handler.arrived) < len(emails) and time.monotonic() < deadline:
            assert client.get("/healthz").status_code == 200  # serving meanwhile
            time.sleep(0.2)
        time.sleep(1.5)  # a later run finds nothing new to send
    assert not scheduler.running
    assert sorted(a.to[0] for a in mail_env.handler.arrived) == emails
    with session_scope(web_db) as session:  # the lease was given back
        assert session.scalar(select(func.count()).select_from(ReleaseBuildLease)) == 0
        audit = session.scalars(select(AuditEvent).where(AuditEvent.actor == "scheduler")).all()
        assert [(a.action, (a.detail or {}).get("sent")) for a in audit] == [
            ("mail_invitation", len(emails))
        ], "the round that sent, once; the empty runs after it are not logged"

    # What `gaplens serve` reads: off without a channel, every 15 minutes with one.
    assert WebSettings.from_environment(web_db).mail_schedule == "every 15m"
    monkeypatch.delenv("GAPLENS_SMTP_HOST")
    assert WebSettings.from_environment(web_db).mail_schedule == "off"
    with pytest.raises(ValueError, match="GAPLENS_MAIL_SCHEDULE 'daily' is not a crontab"):
        create_app(
            WebSettings(
                database_url=web_db,
                secure_cookies=False,
                slack_signing_secret=None,
                mail_schedule="daily",
            )
        )


def test_one_surveys_problem_does_not_hold_up_the_others(web_db: str, mail_env: SmtpServer):
    from gaplens.mail.service import mail_overview, schedule_survey
    from gaplens.surveys.service import get_or_create_survey

    team, emails = small_team(web_db)
    scheduled(web_db, team)  # the demo's survey, by email
    with session_scope(web_db) as session:
        other = get_or_create_survey(session, "A pulse sent by Slack")[0]
        schedule_survey(
            session,
            other,
            opens_on=dt.date.today(),
            closes_on=dt.date.today() + dt.timedelta(days=9),
            team=team,
            channel="slack",  # no GAPLENS_SLACK_BOT_TOKEN here
        )
    sending = SendingSettings.from_environment()
    reports = run_due(
        web_db,
        lambda name: channel_from_environment(name, sending),
        Throttle(sending.per_minute),
        base_url=sending.base_url,
        k=5,
        today=dt.date.today(),
    )
    assert [(r.kind, r.sent) for r in reports] == [("invitation", len(emails))]
    with session_scope(web_db) as session:
        notes = {m.survey: [note for *_, note in m.rounds] for m in mail_overview(session)}
    assert notes["A pulse sent by Slack"] == [
        "stopped: Slack is not configured: set GAPLENS_SLACK_BOT_TOKEN"
    ]
