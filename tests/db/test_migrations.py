from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from gaplens.db.engine import dispose_engine, get_engine
from gaplens.db.migrate import alembic_config, upgrade
from gaplens.db.tables import Base
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
