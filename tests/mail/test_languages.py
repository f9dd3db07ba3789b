"""Invitations, reminders and reflection prompts in each person's language (their directory
tag, else GAPLENS_DEFAULT_LANGUAGE), read as they arrive at the real SMTP server: subject
and body in German and Japanese, UTF-8 with encoded headers; the link opens the survey in
that language, and the answer it gives stores no language."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, update
from typer.testing import CliRunner

from gaplens.cli import app as cli
from gaplens.db.engine import get_engine, session_scope
from gaplens.directory.models import Person
from gaplens.i18n import date_words
from gaplens.mail.runner import send_now
from gaplens.reflections.service import schedule
from gaplens.surveys.models import Survey
from tests.mail.conftest import SmtpServer, small_team
from tests.mail.test_smtp import scheduled
from tests.mail.test_unlinkable import rows
from tests.web.test_reflections import train
from tests.web.test_surveys_online import ANSWERS, submit_page

LINK = re.compile(r"http://testserver(/[sr]/[A-Za-z0-9_-]+)(\?lang=[a-z]+)?")
TODAY = dt.date.today()


def set_languages(url: str, languages: dict[str, str | None]) -> None:
    with session_scope(url) as session:
        for email, tag in languages.items():
            session.execute(update(Person).where(Person.email == email).values(language=tag))


def plain_and_html(message: object) -> tuple[str, str]:
    get = message.get_body  # type: ignore[attr-defined]
    return (
        get(preferencelist=("plain",)).get_content(),
        get(preferencelist=("html",)).get_content(),
    )


def test_invitations_and_reminders_arrive_in_each_persons_language(
    client: TestClient, web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GAPLENS_DEFAULT_LANGUAGE", "fr")
    team, emails = small_team(web_db)
    german, japanese, unset, unknown = emails
    set_languages(web_db, {german: "de-DE", japanese: "ja_JP", unset: None, unknown: "it"})
    survey_id = scheduled(web_db, team)
    with session_scope(web_db) as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        name = survey.name
    assert send_now(web_db, survey_id, "send", "cli").sent == len(emails)
    handler = mail_env.handler
    closes = TODAY + dt.timedelta(days=14)

    # German: an encoded-word subject and UTF-8 parts, every sentence in German.
    message = handler.to(german)[0]
    raw = handler.raw_to(german)[0]
    assert message["Subject"] == f"Ihre Einladung: {name}"
    subject_line = next(line for line in raw.splitlines() if line.startswith(b"Subject:"))
    assert subject_line.startswith(b"Subject: Ihre Einladung:") or b"=?utf-8?" in subject_line
    plain, html = plain_and_html(message)
    for part in message.iter_parts():
        assert part.get_content_charset() == "utf-8"
    assert b'charset="utf-8"' in raw
    assert plain.startswith("Guten Tag Pilot 1,")
    assert f"Sie sind eingeladen, an {name} teilzunehmen." in plain
    assert "Ihre Antworten sind anonym" in plain and "mindestens 5 Personen" in plain
    assert f"{closes.day}. " in plain and date_words(closes, "de").split()[1] in plain
    assert '<html lang="de">' in html and "An der Umfrage teilnehmen" in html
    assert "invited" not in plain and "anonymous" not in plain
    match = LINK.search(plain)
    assert match and match.group(2) == "?lang=de"
    german_token = match.group(1).removeprefix("/s/")

    # Japanese: the subject is non-ASCII, so it crosses the wire RFC 2047-encoded.
    message = handler.to(japanese)[0]
    raw = handler.raw_to(japanese)[0]
    assert message["Subject"] == f"アンケートのご案内：{name}"
    subject_line = next(line for line in raw.splitlines() if line.startswith(b"Subject:"))
    assert b"=?utf-8?" in subject_line.lower() and "ア".encode() not in subject_line
    plain, html = plain_and_html(message)
    assert plain.startswith("Pilot 2 様") and "回答は匿名です" in plain
    assert f"{closes.year}年{closes.month}月{closes.day}日" in plain
    assert '<html lang="ja">' in html and "アンケートに回答する" in html
    assert LINK.search(plain).group(2) == "?lang=ja"  # type: ignore[union-attr]

    # No language, or one gaplens has no catalogue for: the organisation's (French), and
    # the link leaves the choice to the browser.
    for address in (unset, unknown):
        message = handler.to(address)[0]
        assert message["Subject"] == f"Votre invitation : {name}"
        plain, _ = plain_and_html(message)
        assert "Vos réponses sont anonymes" in plain
        assert LINK.search(plain).group(2) is None  # type: ignore[union-attr]

    # The link opens the survey in German; the answer stores no language.
    page = client.get(f"/s/{german_token}?lang=de")
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    assert '<html lang="de"' in page.text
    assert submit_page(client, german_token, ANSWERS).status_code == 200
    inspector = inspect(get_engine(web_db))
    for table in ("survey_response", "survey_answer", "spent_link"):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert not {c for c in columns if "lang" in c or "locale" in c}, (table, columns)
    stored = {str(v) for r in rows(web_db, "survey_response") for v in r.values()}
    assert not stored & {"de", "de-DE", "ja", "ja_JP", "fr", "it"}

    # The reminder reaches the others, each in their language; the German one has answered.
    handler.arrived.clear()
    send_now(web_db, survey_id, "remind", "cli")
    assert german not in {a.to[0] for a in handler.arrived}
    assert handler.to(japanese)[0]["Subject"] == f"リマインダー：{name}"
    assert handler.to(unset)[0]["Subject"] == f"Rappel : {name}"
    handler.arrived.clear()
    send_now(web_db, survey_id, "remind-closing", "cli")
    assert handler.to(japanese)[0]["Subject"] == f"明日が最終日です：{name}"
    plain, _ = plain_and_html(handler.to(japanese)[0])
    assert f"{name}は明日締め切られますが" in plain


def test_a_wrong_default_language_names_the_variable(
    web_db: str, mail_env: SmtpServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("GAPLENS_DEFAULT_LANGUAGE", "klingon")
    team, _ = small_team(web_db)
    survey_id = scheduled(web_db, team)
    with session_scope(web_db) as session:
        name = session.scalars(select(Survey.name).where(Survey.id == survey_id)).one()
    result = CliRunner().invoke(cli, ["invitations", "send", name, "--db", web_db])
    assert result.exit_code != 0
    assert "GAPLENS_DEFAULT_LANGUAGE='klingon' must be one of en, de, es, fr, ja" in result.output
    assert "Traceback" not in result.output and not mail_env.handler.arrived


def test_reflection_prompts_arrive_in_the_persons_language(
    client: TestClient, web_db: str, mail_env: SmtpServer, tmp_path: Path
):
    _, emails = small_team(web_db, people=2)
    set_languages(web_db, {emails[0]: "de", emails[1]: "ja"})
    yesterday = TODAY - dt.timedelta(days=1)
    train(web_db, tmp_path, emails, yesterday)
    with session_scope(web_db) as session:
        schedule(session, yesterday)
    result = CliRunner().invoke(cli, ["reflections", "send", "--db", web_db])
    assert result.exit_code == 0, result.output
    handler = mail_env.handler
    subjects = sorted(m["Subject"] for m in handler.to(emails[0]))
    assert subjects == [
        "Einen Tag später: Was ist Ihnen geblieben?",
        "Zwei Minuten: Was haben Sie gerade über KI gelernt?",
    ]
    plain, html = plain_and_html(handler.to(emails[0])[0])
    assert plain.startswith("Hallo Pilot,") and "nach Ihrer KI-Schulung" in plain
    assert "Es ist anonym" in plain and "It is anonymous" not in plain
    assert '<html lang="de">' in html
    match = LINK.search(plain)
    assert match and match.group(2) == "?lang=de"
    page = client.get(match.group(1) + match.group(2))
    assert page.status_code == 200 and page.headers["content-language"] == "de"
    japanese = [m["Subject"] for m in handler.to(emails[1])]
    assert "2分で：AIについて今何を学びましたか？" in japanese
    plain, _ = plain_and_html(handler.to(emails[1])[0])
    assert "AI研修の後の短い振り返りです：" in plain and "一度だけ使えます" in plain
