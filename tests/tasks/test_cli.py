"""The task map's commands as a user runs them: real files, a real database, exit codes."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from gaplens.cli import app
from tests.files import person, write_csv
from tests.tasks.builders import (
    ANSWER_HEADER,
    CATALOGUE,
    CATALOGUE_HEADER,
    TEAMS,
    engineer,
    rows_of,
)

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_catalogue_answers_and_links_through_the_cli(db_url: str, tmp_path: Path):
    db = ["--db", db_url]
    assert (
        invoke(
            "import",
            "teams",
            str(write_csv(tmp_path / "t.csv", TEAMS)),
            "--organisation",
            "Acme",
            *db,
        )[0]
        == 0
    )
    people = [person(n, team="eng-core") for n in range(3)]
    assert invoke("import", "people", str(write_csv(tmp_path / "p.csv", people)), *db)[0] == 0
    catalogue = write_csv(tmp_path / "catalogue.csv", CATALOGUE, CATALOGUE_HEADER)
    code, output = invoke("import", "task-catalogue", str(catalogue), *db)
    assert code == 0 and "5 written" in output and "2 function(s)" in output
    answers = write_csv(
        tmp_path / "answers.csv",
        rows_of(*(engineer(f"e{n}", "eng-core") for n in range(6))),
        ANSWER_HEADER,
    )
    code, output = invoke("import", "task-answers", str(answers), "--round", "Q4 map", *db)
    assert code == 0 and "6 respondents (18 task answers)" in output and "(new round)" in output
    code, output = invoke("tasks", "open-link", "Q4 map", "--base-url", "https://gl.example/", *db)
    assert code == 0 and output.strip().startswith("https://gl.example/t/")
    links = tmp_path / "links.csv"
    code, output = invoke("tasks", "invite", "Q4 map", "--team", "eng", "--out", str(links), *db)
    assert code == 0 and "3 single-use links" in output
    with links.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 and all(r["link"].startswith("http://127.0.0.1:8000/t/") for r in rows)


def test_bad_files_exit_2_with_the_row_and_column(db_url: str, tmp_path: Path):
    bad = [dict(r) for r in CATALOGUE]
    bad[2]["needs_judgement"] = "high"
    path = write_csv(tmp_path / "catalogue.csv", bad, CATALOGUE_HEADER)
    code, output = invoke("import", "task-catalogue", str(path), "--db", db_url)
    assert code == 2
    assert "catalogue.csv, row 4, column 'needs_judgement'" in output
    assert "Nothing was written." in output and "Traceback" not in output
    code, output = invoke(
        "import",
        "task-answers",
        str(tmp_path / "missing.csv"),
        "--round",
        "Round one",
        "--db",
        db_url,
    )
    assert code == 2 and "file not found" in output
    code, output = invoke(
        "tasks", "invite", "Round one", "--out", str(tmp_path / "x.csv"), "--db", db_url
    )
    assert code == 2 and "no people to invite" in output
