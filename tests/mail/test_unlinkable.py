"""The mail tables cannot be joined to answers, and say nothing about who answered."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Date, inspect, select, text

from gaplens.db.engine import get_engine, session_scope
from gaplens.db.tables import Base
from gaplens.mail.runner import send_now
from gaplens.surveys.models import SurveyResponse
from tests.mail.conftest import SmtpServer, small_team
from tests.mail.test_smtp import scheduled, token_in
from tests.web.test_surveys_online import ANSWERS, submit_page

MAIL_TABLES = ("mail_schedule", "mail_invitation", "mail_round")
ANSWER_TABLES = ("survey_response", "survey_answer", "spent_link")


def rows(url: str, table: str) -> list[dict[str, object]]:
    with get_engine(url).connect() as connection:
        return [dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {table}"))]


def test_mail_tables_share_no_key_or_time_with_answers(
    client: TestClient, web_db: str, mail_env: SmtpServer
):
    team, emails = small_team(web_db)
    survey_id = scheduled(web_db, team)
    before = {r["id"] for r in rows(web_db, "survey_response")}
    send_now(web_db, survey_id, "send", "cli")
    answered = emails[2]
    token = token_in(mail_env.handler.to(answered)[0])
    assert submit_page(client, token, ANSWERS).status_code == 200
    send_now(web_db, survey_id, "remind", "cli")
    send_now(web_db, survey_id, "remind-closing", "cli")
    with session_scope(web_db) as session:
        (new_response,) = session.scalars(
            select(SurveyResponse.id).where(SurveyResponse.id.not_in(before))
        ).all()

    inspector = inspect(get_engine(web_db))
    mail_columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in MAIL_TABLES}
    answer_columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in ANSWER_TABLES}
    for mail_table, columns in mail_columns.items():
        for answer_table, others in answer_columns.items():
            shared = columns & others
            assert shared <= {"id", "survey_id"}, (mail_table, answer_table, shared)
    # Every key of the answer side (response ids, spent tags) is absent from the mail side.
    mail_values = {
        str(value) for t in MAIL_TABLES for row in rows(web_db, t) for value in row.values()
    }
    answer_keys = {str(r["id"]) for r in rows(web_db, "survey_response")}
    answer_keys |= {str(r["response_id"]) for r in rows(web_db, "survey_answer")}
    answer_keys |= {str(r["tag"]) for r in rows(web_db, "spent_link")}
    assert new_response in answer_keys
    assert not mail_values & answer_keys
    # No token, link hash or finer time than a day on the mail side.
    link_hashes = {str(r["token_hash"]) for r in rows(web_db, "survey_link")}
    assert not mail_values & link_hashes
    assert token not in " ".join(mail_values)
    for table in MAIL_TABLES:
        for column in Base.metadata.tables[table].columns:
            assert not column.name.endswith("_at"), (table, column.name)
            if "on" in column.name.split("_"):
                assert isinstance(column.type, Date), (table, column.name)

    # Nothing on the mail side tells the person who answered from the others.
    invitations = rows(web_db, "mail_invitation")
    assert len(invitations) == len(emails)
    shape = {
        tuple(v for k, v in row.items() if k not in ("id", "person_id", "address"))
        for row in invitations
    }
    assert len(shape) == 1, shape
    rounds = rows(web_db, "mail_round")
    assert {(r["kind"], r["failed"], r["note"]) for r in rounds} >= {
        ("invitation", 0, None),
        ("reminder", 0, None),
        ("closing", 0, None),
    }
    assert "sent" not in mail_columns["mail_round"], "no count of people reminded"
