from __future__ import annotations

import datetime as dt
import hashlib

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from gaplens.db.engine import dispose_engine, get_engine, session_scope
from gaplens.db.migrate import alembic_config, upgrade
from gaplens.db.tables import Base
from gaplens.spent.service import REFLECTION, SURVEY, TASK, spent_among
from gaplens.surveys.collection import participation
from gaplens.surveys.service import find_survey
from tests.telemetry.helpers import rows


def test_migrations_build_exactly_the_models(db_url: str):
    """The schema tests run on comes from Alembic; it must match the ORM, on both backends."""
    with get_engine(db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db_url: str):
    upgrade(db_url)
    upgrade(db_url)
    with get_engine(db_url).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()


def test_user_days_stored_before_feature_rows_get_them(db_url: str):
    """Migration 0016 parses the features of user-days imported before it, so their
    scorecard telemetry stays as it was."""
    config = alembic_config(db_url)
    dispose_engine(db_url)
    before = ScriptDirectory.from_config(config).get_revision("0016").down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO import_run (id, kind, source_name, sha256, rows_read, rows_written,"
                " rows_unresolved, imported_at) VALUES (1, 'copilot-usage', 'c.ndjson', :sha, 3,"
                " 3, 0, :at)"
            ),
            {"sha": "0" * 64, "at": dt.datetime(2026, 10, 2)},
        )
        for login, features in (
            ("a", '{"code_completion":{"generations":7,"acceptances":3},"agent_edit":{}}'),
            ("b", '[{"feature":"chat_inline","code_generation_activity_count":2}]'),
            ("c", "not json"),
        ):
            connection.execute(
                text(
                    "INSERT INTO copilot_user_day (day, user_login, features, import_run_id,"
                    " source_row) VALUES (:day, :login, :features, 1, 1)"
                ),
                {"day": dt.date(2026, 10, 1), "login": login, "features": features},
            )
    engine.dispose()
    upgrade(db_url)
    found = rows(
        db_url,
        "SELECT user_login, feature, interactions, generations, acceptances, loc_suggested,"
        " loc_added FROM copilot_user_day_feature ORDER BY user_login, feature",
    )
    assert found == [
        ("a", "agent_edit", 0, 0, 0, 0, 0),
        ("a", "code_completion", 0, 7, 3, 0, 0),
        ("b", "chat_inline", 0, 2, 0, 0, 0),
    ]


def test_used_flags_become_spent_tags_and_back(db_url: str, tmp_path):
    """Migration 0017 turns each `used = true` into the spent tag the application computes
    with the server key, drops the flags, and its downgrade restores them from the tags."""
    from tests.reflections.builders import directory

    directory(db_url, tmp_path, engineers=2, support=0)
    config = alembic_config(db_url)
    dispose_engine(db_url)
    command.downgrade(config, "0016")
    hashes = {name: hashlib.sha256(name.encode()).hexdigest() for name in "abcdef"}
    engine = create_engine(db_url)
    with engine.begin() as connection:
        person = connection.execute(text("SELECT id FROM person ORDER BY email")).scalar()
        connection.execute(
            text(
                "INSERT INTO survey (id, name, bank_version, anonymous, response_key_salt,"
                " created_on) VALUES (1, 'Pulse', 3, true, 's', :day)"
            ),
            {"day": dt.date(2026, 11, 1)},
        )
        connection.execute(
            text(
                "INSERT INTO task_round (id, name, created_on, response_key_salt)"
                " VALUES (1, 'R', :day, 's')"
            ),
            {"day": dt.date(2026, 11, 1)},
        )
        for name, used in (("a", True), ("b", False)):
            connection.execute(
                text(
                    "INSERT INTO survey_link (token_hash, survey_id, kind, person_id, used)"
                    " VALUES (:h, 1, 'invitation', :p, :used)"
                ),
                {"h": hashes[name], "p": person, "used": used},
            )
        for name, used in (("c", True), ("d", False)):
            connection.execute(
                text(
                    "INSERT INTO task_link (token_hash, round_id, kind, person_id, used)"
                    " VALUES (:h, 1, 'invitation', :p, :used)"
                ),
                {"h": hashes[name], "p": person, "used": used},
            )
        for name, used in (("e", True), ("f", False)):
            connection.execute(
                text(
                    "INSERT INTO reflection_invitation (id, series_id, person_id, trigger,"
                    " trigger_on, step, due_on, token_hash, link_issued_on, used) VALUES"
                    " (:id, 's', :p, 'training', :day, 'now', :day, :h, :day, :used)"
                ),
                {
                    "id": name,
                    "h": hashes[name],
                    "p": person,
                    "day": dt.date(2026, 11, 2),
                    "used": used,
                },
            )
    engine.dispose()
    upgrade(db_url)
    with session_scope(db_url) as session:
        assert spent_among(session, SURVEY, [hashes["a"], hashes["b"]]) == {hashes["a"]}
        assert spent_among(session, TASK, [hashes["c"], hashes["d"]]) == {hashes["c"]}
        assert spent_among(session, REFLECTION, [hashes["e"], hashes["f"]]) == {hashes["e"]}
        assert participation(session, find_survey(session, "Pulse")) == (2, 1)
    assert rows(db_url, "SELECT count(*) FROM spent_link") == [(3,)]
    dispose_engine(db_url)
    command.downgrade(config, "0016")
    for table in ("survey_link", "task_link", "reflection_invitation"):
        flags = rows(db_url, f"SELECT token_hash, used FROM {table} ORDER BY token_hash")
        assert [(h, bool(u)) for h, u in flags] == sorted(
            (hashes[n], n in "ace") for n in "abcdef" if hashes[n] in {h for h, _ in flags}
        )
    dispose_engine(db_url)
    upgrade(db_url)
