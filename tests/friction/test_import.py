"""`gaplens import friction FILE` through the real CLI: good, bad, idempotent, fuzzed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.friction.models import FrictionEntry
from gaplens.friction.service import import_friction
from gaplens.imports.models import ImportRun
from tests.files import write_csv
from tests.friction.conftest import load_teams

runner = CliRunner()
HEADER = [
    "date", "use_case", "tool", "minutes_correcting", "minutes_saved",
    "severity", "outcome", "team", "note",
]  # fmt: skip


def row(**overrides: str) -> dict[str, str]:
    base = {
        "date": "2026-02-03",
        "use_case": "Code review",
        "tool": "GitHub Copilot",
        "minutes_correcting": "10",
        "minutes_saved": "25",
        "severity": "medium",
        "outcome": "fixed",
        "team": "support",
        "note": "Made up a config flag",
    }
    return {**base, **overrides}


def ids(url: str) -> list[str]:
    with session_scope(url) as session:
        return sorted(session.scalars(select(FrictionEntry.id)))


def runs(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(ImportRun)) or 0


def test_import_is_idempotent_and_keeps_identical_rows(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    rows = [row(), row(), row(outcome="kept", minutes_correcting="0", team="", note="")]
    path = write_csv(tmp_path / "friction.csv", rows, HEADER)
    result = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "3 rows read" in result.output and "3 written" in result.output
    first = ids(db_url)
    assert len(first) == 3  # two identical rows stay two entries
    again = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert again.exit_code == 0, again.output
    assert ids(db_url) == first
    with session_scope(db_url) as session:
        kept = session.scalars(select(FrictionEntry).where(FrictionEntry.outcome == "kept")).one()
        assert (kept.team_id, kept.note, kept.source) == (None, None, "csv")


def test_optional_columns_may_be_left_out(db_url: str, tmp_path: Path):
    header = ["date", "use_case", "tool", "minutes_correcting", "severity", "outcome"]
    path = write_csv(tmp_path / "minimal.csv", [row()], header)
    result = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert len(ids(db_url)) == 1


def test_bad_file_names_file_row_and_column_and_writes_nothing(db_url: str, tmp_path: Path):
    load_teams(db_url, tmp_path)
    before = runs(db_url)
    rows = [row(), row(minutes_correcting="ten"), row(), row(outcome="maybe", team="nope")]
    path = write_csv(tmp_path / "bad-friction.csv", rows, HEADER)
    result = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "bad-friction.csv, row 3, column 'minutes_correcting'" in text
    assert "row 5, column 'outcome'" in text and "row 5, column 'team'" in text
    assert "Nothing was written" in text
    assert ids(db_url) == [] and runs(db_url) == before


def test_future_dates_and_wrong_headers_are_refused(db_url: str, tmp_path: Path):
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    path = write_csv(tmp_path / "future.csv", [row(date=future, team="")], HEADER)
    result = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert result.exit_code == 2 and "column 'date'" in result.output
    path = write_csv(tmp_path / "other.csv", [{"name": "x", "email": "y"}])
    result = runner.invoke(app, ["import", "friction", str(path), "--db", db_url])
    assert result.exit_code == 2 and "does not look like the expected file" in result.output


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["2026-02-03", "kept", "fixed", "low", "high", "5", "-1", ""]),
            ),
            min_size=0,
            max_size=11,
        ),
        max_size=6,
    ),
    raw=st.binary(max_size=40),
)
def test_parser_never_fails_with_anything_but_a_located_input_error(
    db_url: str, tmp_path_factory, body: list[list[str]], raw: bytes
):
    """Whatever the bytes, the importer either imports or says what is wrong, and where."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "use_case", "tool", "minutes_correcting", "severity", "outcome"])
    writer.writerows(body)
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass") + raw)
    try:
        with session_scope(db_url) as session:
            summary = import_friction(session, path)
            session.rollback()
        assert summary.rows_written <= summary.rows_read
    except InputError as error:
        assert error.problems and all(p.source == "fuzz.csv" for p in error.problems)
    except UnicodeEncodeError:
        pass  # a lone surrogate cannot be written as a file in the first place
