from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from gaplens.db.engine import get_engine
from gaplens.db.migrate import alembic_config, upgrade
from gaplens.db.tables import Base


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
