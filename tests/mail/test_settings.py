"""Mail settings: each wrong value is an error naming its variable; nothing configured is
said on the admin page, not raised as a 500."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gaplens.errors import InputError
from gaplens.mail.settings import SendingSettings, SlackSettings, SmtpSettings
from tests.mail.conftest import small_team
from tests.mail.test_smtp import scheduled
from tests.web.conftest import form_token, sign_in

BASE = {"GAPLENS_SMTP_HOST": "smtp.example.com", "GAPLENS_SMTP_FROM": "ai@example.com"}


def test_defaults_and_a_password_file(tmp_path: Path):
    secret = tmp_path / "smtp-password"
    secret.write_text("s3cret\n")
    env = {**BASE, "GAPLENS_SMTP_USERNAME": "relay", "GAPLENS_SMTP_PASSWORD_FILE": str(secret)}
    settings = SmtpSettings.from_environment(env)
    assert settings is not None
    assert (settings.port, settings.security, settings.password) == (587, "starttls", "s3cret")
    tls = SmtpSettings.from_environment({**BASE, "GAPLENS_SMTP_SECURITY": "TLS"})
    assert tls is not None and tls.port == 465
    assert SmtpSettings.from_environment({}) is None
    assert SlackSettings.from_environment({}) is None
    assert SendingSettings.from_environment({}).per_minute == 60


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GAPLENS_SMTP_SECURITY": "ssl"}, "GAPLENS_SMTP_SECURITY='ssl' must be starttls"),
        ({"GAPLENS_SMTP_FROM": "nobody"}, "GAPLENS_SMTP_FROM must be the sending address"),
        ({"GAPLENS_SMTP_PORT": "smtp"}, "GAPLENS_SMTP_PORT='smtp' is not a whole number"),
        ({"GAPLENS_SMTP_PORT": "70000"}, "GAPLENS_SMTP_PORT=70000 must be between 1 and 65535"),
        ({"GAPLENS_SMTP_PASSWORD": "x"}, "a password is set but GAPLENS_SMTP_USERNAME is not"),
        (
            {"GAPLENS_SMTP_USERNAME": "u", "GAPLENS_SMTP_SECURITY": "none"},
            "would send the password in clear",
        ),
        ({"GAPLENS_SMTP_PASSWORD_FILE": "/nonexistent/pw"}, "cannot read /nonexistent/pw"),
        ({"GAPLENS_SMTP_CA_FILE": "/nonexistent/ca.pem"}, "GAPLENS_SMTP_CA_FILE /nonexistent"),
    ],
)
def test_bad_smtp_settings_name_the_variable(env: dict[str, str], message: str):
    with pytest.raises(InputError) as raised:
        SmtpSettings.from_environment({**BASE, **env})
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GAPLENS_MAIL_PER_MINUTE": "0"}, "GAPLENS_MAIL_PER_MINUTE=0 must be between 1"),
        ({"GAPLENS_MAIL_RETRY_SECONDS": "soon"}, "GAPLENS_MAIL_RETRY_SECONDS='soon' is not"),
        ({"GAPLENS_BASE_URL": "gaplens.example.com"}, "GAPLENS_BASE_URL must start with"),
    ],
)
def test_bad_sending_settings_name_the_variable(env: dict[str, str], message: str):
    with pytest.raises(InputError) as raised:
        SendingSettings.from_environment(env)
    assert message in str(raised.value)
    with pytest.raises(InputError, match="GAPLENS_SLACK_BOT_TOKEN must be the app's bot token"):
        SlackSettings.from_environment({"GAPLENS_SLACK_BOT_TOKEN": "hunter2"})


def test_sending_without_a_server_is_explained_on_the_page(
    client: TestClient, web_db: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("GAPLENS_SMTP_HOST", raising=False)
    team, _ = small_team(web_db)
    survey_id = scheduled(web_db, team)
    sign_in(client, "admin")
    token = form_token(client, "/admin/mail")
    assert (
        client.post(f"/admin/mail/{survey_id}/send", data={"csrf_token": token}).status_code == 202
    )
    page = client.get("/admin/mail").text
    assert "stopped: email is not configured: set GAPLENS_SMTP_HOST" in page
    # A bad schedule is refused with its field named, and nothing changes.
    bad = client.post(
        "/admin/mail/schedule",
        data={
            "csrf_token": token,
            "survey_id": survey_id,
            "opens_on": dt.date.today().isoformat(),
            "closes_on": (dt.date.today() + dt.timedelta(days=5)).isoformat(),
            "reminders": "3,9",
            "team": team,
        },
    )
    assert bad.status_code == 422
    assert "column &#39;reminders&#39;: a reminder 9 days after opening" in bad.text
    assert "reminders 3, 7 days after" in client.get("/admin/mail").text
    forged = client.post(f"/admin/mail/{survey_id}/send", data={"csrf_token": "forged"})
    assert forged.status_code == 403
