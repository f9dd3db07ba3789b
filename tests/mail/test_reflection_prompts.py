"""Reflection prompts by email through the real SMTP server: the links due go out once, a
refused one is withdrawn and sent again at the next run, and no address is listed."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app as cli
from gaplens.db.engine import session_scope
from gaplens.reflections.models import ReflectionInvitation
from gaplens.reflections.service import schedule
from tests.mail.conftest import SmtpServer, small_team
from tests.web.test_reflections import train

REFLECTION_LINK = re.compile(r"http://testserver(/r/[A-Za-z0-9_-]+)")


def test_prompts_due_are_sent_and_a_refused_one_is_sent_again_later(
    client: TestClient, web_db: str, mail_env: SmtpServer, tmp_path: Path
):
    _, emails = small_team(web_db, people=3)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    train(web_db, tmp_path, emails, yesterday)
    with session_scope(web_db) as session:
        schedule(session, yesterday)
    handler = mail_env.handler
    handler.refused.add(emails[0])

    result = CliRunner().invoke(cli, ["reflections", "send", "--db", web_db])
    assert result.exit_code == 0, result.output
    # Each person has two prompts due by today (right after, +1 day): the refused one's
    # two are withdrawn.
    assert result.output.startswith(f"{2 * (len(emails) - 1)} reflection prompts sent")
    assert "0 failed, 2 bounced" in result.output and emails[0] not in result.output
    arrived = sorted(a.to[0] for a in handler.arrived)
    assert arrived == sorted(2 * emails[1:])
    message = handler.to(emails[1])[0]
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert "It is anonymous" in plain
    match = REFLECTION_LINK.search(plain)
    assert match
    assert f'<a href="http://testserver{match.group(1)}">' in (
        message.get_body(preferencelist=("html",)).get_content()
    )
    assert client.get(match.group(1)).status_code == 200
    with session_scope(web_db) as session:
        issued = session.execute(
            select(ReflectionInvitation.token_hash, ReflectionInvitation.link_issued_on)
        ).all()
        assert sum(1 for h, _ in issued if h is None) >= 2, "the refused prompts were withdrawn"
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail_reflections")
        ).one()
        assert audit.actor == "cli" and audit.detail == {
            "channel": "email",
            "sent": 2 * (len(emails) - 1),
            "failed": 0,
            "bounced": 2,
        }

    # Nothing new for the others at the next run; the refused address, fixed, gets its own.
    handler.arrived.clear()
    handler.refused.clear()
    result = CliRunner().invoke(cli, ["reflections", "send", "--db", web_db])
    assert result.exit_code == 0, result.output
    assert sorted(a.to[0] for a in handler.arrived) == [emails[0], emails[0]]
