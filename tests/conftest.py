"""Shared fixtures: every database test runs on a real SQLite file and a real PostgreSQL.

Each test gets a fresh database copied from one migrated by Alembic at the start of the
session (a file copy for SQLite, CREATE DATABASE ... TEMPLATE for PostgreSQL), so the schema
under test is exactly what the migrations build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gaplens.db.engine import dispose_engine
from gaplens.db.migrate import upgrade
from tests.postgres_server import throwaway_postgres

# CI explores the same property-test examples on every run, so a landing is never decided by
# chance; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The server key (gaplens.keys) comes from a key file made for this test run, never from the
# developer's ~/.config; tests of the key itself set their own.
os.environ.pop("GAPLENS_SECRET_KEY", None)
os.environ.setdefault(
    "GAPLENS_SECRET_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="gaplens-key-")) / "secret.key")
)

BACKENDS = [b for b in os.environ.get("GAPLENS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    dispose_engine(url)
    return path


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    name = f"gaplens_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    dispose_engine(url)
    return name


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on each backend; the URL is what `--db` would receive."""
    with fresh_database(request, request.param, tmp_path / "gaplens.db") as url:
        yield url


@pytest.fixture
def twin_db_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second fresh database on `db_url`'s backend, for a test comparing two imports."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with fresh_database(request, backend, tmp_path / "twin.db") as url:
        yield url


@contextmanager
def fresh_database(request: pytest.FixtureRequest, backend: str, file: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, file)
        url = f"sqlite:///{file}"
        yield url
        dispose_engine(url)
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"gaplens_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    dispose_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


SLOW_FIRST = (
    "tests/test_end_to_end.py",
    "tests/web/test_openapi_fuzz.py",
    "tests/web/test_staff_pages_browser.py",
    "tests/report/test_report_axe.py",
    "tests/reflections/test_demo_and_report.py",
    "tests/web/test_respondent_pages.py",
    "tests/demo/test_planted_no_effect.py",
    "tests/test_cli.py",
    "tests/test_docs.py",
)
"""Modules whose set-up or fuzzing takes tens of seconds: handed out first, so the two
workers finish together instead of one waiting out a long module at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order within each group is unchanged
