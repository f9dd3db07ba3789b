"""The schedule, day by day, against the real SMTP server: the invitation at open, each
reminder once and only to unused invitations, the closing reminder the day before."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from gaplens.mail.channels import Throttle
from gaplens.mail.runner import channel_from_environment
from gaplens.mail.service import run_due
from gaplens.mail.settings import SendingSettings
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
