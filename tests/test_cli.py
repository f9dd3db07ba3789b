"""The command line as a user meets it: real files, real databases, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.report.schemas import ReportDocument
from tests.files import TEAMS, person, table_counts, write_csv

runner = CliRunner()
GAPLENS = Path(sys.executable).with_name("gaplens")


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def command_names() -> list[list[str]]:
    names: list[list[str]] = []
    for command in app.registered_commands:
        names.append([command.name or command.callback.__name__])  # type: ignore[union-attr]
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:
            names.append([group.name or "", command.name or ""])
    return names


@pytest.mark.parametrize("command", command_names(), ids=" ".join)
def test_every_command_has_help_with_an_example(command: list[str]):
    code, output = invoke(*command, "--help")
    assert code == 0
    assert "Example: gaplens" in output


def test_import_and_report_through_the_cli(db_url: str, tmp_path: Path):
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    people = write_csv(tmp_path / "people.csv", [person(n) for n in range(8)])
    assert invoke("import", "teams", str(teams), "--db", db_url)[0] == 0
    code, output = invoke("import", "people", str(people), "--db", db_url)
    assert code == 0 and "8 new" in output
    rows = [
        {
            "response_id": f"r{n}",
            "answered_on": "2026-09-0" + str(1 + n % 5),
            "role_level": "individual_contributor" if n < 30 else "executive",
            "team": "eng-payments",
            "productivity_impact": ["high gains", "no difference"][n % 2],
        }
        for n in range(40)
    ]
    responses = write_csv(tmp_path / "responses.csv", rows)
    code, output = invoke(
        "import", "responses", str(responses), "--survey", "Pulse", "--db", db_url
    )
    assert code == 0 and "40 responses" in output
    out = tmp_path / "report.json"
    code, output = invoke("report", "--format", "json", "--out", str(out), "--db", db_url)
    assert code == 0, output
    document = ReportDocument.model_validate_json(out.read_text())
    impact = document.perception["productivity_impact"]
    assert impact.groups["executive"].n == 10
    assert impact.groups["manager"].status == "not_enough_responses"
    assert impact.groups["individual_contributor"].n == 30


def test_bad_input_exits_2_with_location_and_no_traceback(tmp_path: Path):
    """Through the installed console script, as a user runs it."""
    db = tmp_path / "g.db"
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    subprocess.run(
        [str(GAPLENS), "import", "teams", str(teams), "--db", str(db)],
        check=True,
        capture_output=True,
    )
    before = table_counts(f"sqlite:///{db}")
    bad = person(2)
    bad["role_level"] = "wizard"
    people = write_csv(tmp_path / "people.csv", [person(1), bad])
    result = subprocess.run(
        [str(GAPLENS), "import", "people", str(people), "--db", str(db)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 2
    assert "people.csv, row 3, column 'role_level': 'wizard' is not a role level" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert table_counts(f"sqlite:///{db}") == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "people", "missing.csv"], "file not found"),
        (["report", "--format", "docx"], "unknown format 'docx'"),
        (["report", "--min-group-size", "3"], "min_group_size"),
        (["report"], "no survey has been imported yet"),
        (["report", "--survey", "Nope"], "no survey named 'Nope'"),
    ],
)
def test_user_errors_are_messages_not_tracebacks(tmp_path: Path, args: list[str], message: str):
    os.chdir(tmp_path)
    code, output = invoke(*args, "--db", str(tmp_path / "g.db"))
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_unreachable_database_is_a_message(tmp_path: Path):
    code, output = invoke("init", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert code == 1
    assert "database error" in output and "Traceback" not in output


def test_questions_lists_the_bank_with_sources():
    code, output = invoke("questions")
    assert code == 0
    assert "productivity_impact" in output and "Gartner" in output
    # Figures whose source and year could not be confirmed are listed as held back, not cited.
    flat = " ".join(output.split())
    assert "exec_ic_impact_gap (derived): held back" in flat


def test_leaders_posts_and_statements_through_the_cli(db_url: str, tmp_path: Path):
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    assert invoke("import", "teams", str(teams), "--db", db_url)[0] == 0
    for email, role in (("dana@acme.example", "leader"), ("ali@acme.example", "analyst")):
        result = runner.invoke(
            app,
            ["users", "add", email, "--role", role, "--password-stdin", "--db", db_url],
            input="correct horse battery staple\n",
        )
        assert result.exit_code == 0, result.output
    before = table_counts(db_url)
    post = ["modelling", "post", "--title", "Copilot invented an API", "--task", "A migration",
            "--tool", "GitHub Copilot", "--worked", "The boilerplate", "--db", db_url]  # fmt: skip
    for extra, message in (
        (["--author", "dana@acme.example"], "what_went_wrong"),  # neither said nor denied
        (["--author", "ali@acme.example", "--nothing-went-wrong"], "only leaders and admins"),
        (["--author", "dana@acme.example", "--wrong", "x", "--function", "Mars"], "function"),
    ):
        code, output = invoke(*post, *extra)
        assert code == 2 and message in output and "Traceback" not in output
    assert table_counts(db_url) == before
    code, output = invoke(*post, "--author", "dana@acme.example", "--wrong", "=1+1 invented")
    assert code == 0 and "/leaders/1" in output
    code, output = invoke("modelling", "list", "--db", db_url)
    assert code == 0 and "Copilot" in output
    csv_out = tmp_path / "posts.csv"
    assert (
        invoke("modelling", "export", "--format", "csv", "--out", str(csv_out), "--db", db_url)[0]
        == 0
    )
    assert "'=1+1 invented" in csv_out.read_text()
    code, output = invoke("modelling", "export", "--format", "json", "--db", db_url)
    assert code == 0 and json.loads(output)[0]["admits_failure"] is True
    assert invoke("modelling", "export", "--format", "xml", "--db", db_url)[0] == 2

    add = ["commitments", "add", "--by", "dana@acme.example", "--category", "role",
           "--text", "No role is cut because of AI in 2026.", "--stated-by", "Dana, COO",
           "--db", db_url]  # fmt: skip
    before = table_counts(db_url)
    assert invoke(*add, "--review-on", "someday")[0] == 2
    assert invoke(*add[:-2], "--function", "Mars", "--db", db_url)[0] == 2
    assert table_counts(db_url) == before
    code, output = invoke(*add, "--review-on", "2099-01-31")
    assert code == 0 and "Statement 1 published" in output
    code, output = invoke("commitments", "reword", "1", "--by", "dana@acme.example",
                          "--text", "No role is cut because of AI in 2026 or 2027.", "--db", db_url)  # fmt: skip
    assert code == 0 and "revision 2" in output
    assert invoke("commitments", "retire", "9", "--by", "dana@acme.example", "--db", db_url)[0] == 2
    code, output = invoke("commitments", "export", "--format", "json", "--db", db_url)
    [statement] = json.loads(output)
    assert statement["revision"] == 2 and statement["earlier"][0]["text"].endswith("in 2026.")
    assert statement["review_on"] == "2099-01-31"
    assert (
        invoke(
            "commitments",
            "retire",
            "1",
            "--by",
            "dana@acme.example",
            "--reason",
            "done",
            "--db",
            db_url,
        )[0]
        == 0
    )
    code, output = invoke("commitments", "list", "--db", db_url)
    assert code == 0 and "No statements yet." in output
    code, output = invoke("commitments", "list", "--all", "--db", db_url)
    assert code == 0 and "retired" in output
