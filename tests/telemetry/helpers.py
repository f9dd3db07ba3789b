"""Running the real CLI against a real database, and counting what it wrote."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from typer.testing import CliRunner

from gaplens.cli import app
from tests.files import TEAMS, person, write_csv

runner = CliRunner()
TABLES = (
    "import_run",
    "raw_chunk",
    "copilot_user_day",
    "copilot_user_day_feature",
    "copilot_org_day",
    "m365_usage_snapshot",
    "ai_usage_day",
    "person",
)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {
            name: connection.execute(select(func.count()).select_from(text(name))).scalar_one()
            for name in TABLES
        }
    engine.dispose()
    return found


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return result


def directory(url: str, tmp_path: Path, people: range = range(8)) -> None:
    """Teams and people imported through the CLI, as a user would."""
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    staff = write_csv(tmp_path / "people.csv", [person(n) for n in people])
    assert invoke("import", "teams", str(teams), "--db", url)[0] == 0
    code, output = invoke("import", "people", str(staff), "--db", url)
    assert code == 0, output
