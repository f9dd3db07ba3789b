"""Bounces that come back later as delivery reports (RFC 3464): a mailbox export of them,
read with `gaplens invitations bounces`, marks those invitations bounced on /admin/mail
(after the real SMTP server accepted them), and the reminder passes them by."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from gaplens.audit.models import AuditEvent
from gaplens.cli import app as cli
from gaplens.db.engine import session_scope
from gaplens.mail.models import MailInvitation
from gaplens.mail.runner import send_now
from tests.mail.conftest import SmtpServer, small_team
from tests.mail.test_smtp import scheduled
from tests.web.conftest import sign_in

REPORT = """\
From MAILER-DAEMON Mon Dec  7 10:00:00 2026
Return-Path: <>
From: MAILER-DAEMON@relay.northwind.example (Mail Delivery System)
To: ai-pulse@northwind.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 7 Dec 2026 10:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host relay.northwind.example. Your message could not be
delivered to one or more recipients.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.northwind.example
Arrival-Date: Mon, 7 Dec 2026 09:59:58 +0000

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.northwind.example
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

Final-Recipient: rfc822; {delayed}
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 451 4.4.1 try again later

--B1
Content-Type: text/rfc822-headers

From: AI pulse <ai-pulse@northwind.example>
To: {failed}
Subject: Your invitation

--B1--

From MAILER-DAEMON Mon Dec  7 10:05:00 2026
From: postmaster@elsewhere.example
To: ai-pulse@northwind.example
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B2"

--B2
Content-Type: text/plain

Delivery to the following recipient failed permanently.

--B2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.elsewhere.example

Final-Recipient: rfc822; stranger@elsewhere.example
Action: failed
Status: 5.2.1

--B2--
"""


def test_later_delivery_reports_mark_invitations_bounced(
    client: TestClient, web_db: str, mail_env: SmtpServer, tmp_path: Path
):
    team, emails = small_team(web_db)
    survey_id = scheduled(web_db, team)
    assert send_now(web_db, survey_id, "send", "cli").sent == len(emails)  # all accepted
    failed, delayed = emails[0], emails[1]
    mbox = tmp_path / "bounces.mbox"
    mbox.write_text(REPORT.format(failed=failed.upper(), delayed=delayed), encoding="utf-8")

    result = CliRunner().invoke(cli, ["invitations", "bounces", str(mbox), "--db", web_db])
    assert result.exit_code == 0, result.output
    assert "1 invitations marked bounced (2 addresses in the reports, 1 matching no" in (
        " ".join(result.output.split())
    )
    with session_scope(web_db) as session:
        rows = {r.address: r for r in session.scalars(select(MailInvitation))}
        assert rows[failed].status == "bounced"
        assert rows[failed].detail == (
            f"delivery report: 5.1.1 550 5.1.1 <{failed.upper()}>: Recipient address "
            "rejected: User unknown"
        )
        assert {rows[e].status for e in emails[1:]} == {"sent"}, "a delay is not a bounce"
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "mail_bounces"))
        assert [(a.actor, a.detail) for a in audit] == [("cli", {"marked": 1, "unknown": 1})]
    sign_in(client, "admin")
    page = client.get("/admin/mail").text
    assert failed in page and "User unknown" in page

    # The reminder passes the bounced address by; reading the file again changes nothing.
    mail_env.handler.arrived.clear()
    send_now(web_db, survey_id, "remind", "cli")
    assert sorted(a.to[0] for a in mail_env.handler.arrived) == sorted(emails[1:])
    again = CliRunner().invoke(cli, ["invitations", "bounces", str(mbox), "--db", web_db])
    assert again.exit_code == 0 and "0 invitations marked bounced" in again.output


def test_a_file_without_delivery_reports_is_refused(web_db: str, tmp_path: Path):
    plain = tmp_path / "note.eml"
    plain.write_text("From: a@example.org\nSubject: hello\n\nnot a bounce\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["invitations", "bounces", str(plain), "--db", web_db])
    assert result.exit_code == 2
    assert "note.eml: holds no delivery report" in " ".join(result.output.split())
    wrong = tmp_path / "bounces.csv"
    wrong.write_text("a,b\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["invitations", "bounces", str(wrong), "--db", web_db])
    assert result.exit_code == 2 and "must be a .mbox or .eml file" in result.output
    assert "Traceback" not in result.output
    with session_scope(web_db) as session:
        assert not session.scalars(
            select(AuditEvent).where(AuditEvent.action == "mail_bounces")
        ).all()
