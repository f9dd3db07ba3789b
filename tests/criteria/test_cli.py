"""`gaplens criteria ...` and `gaplens wins ...` as a user meets them: real databases, real
exit codes, a clear message and nothing written on bad input."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.db.engine import session_scope
from tests.criteria.test_service import EARLY, REVIEW, START, release, team_with_cycle_times
from tests.files import table_counts
from tests.metrics.builders import OrgBuilder

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def planted(url: str) -> None:
    """The constructed team, with the measured release of every month end it reaches."""
    with session_scope(url) as session:
        org = OrgBuilder(session)
        team_with_cycle_times(org, "eng", 2.0, EARLY)
        release(session, org)


def test_add_list_status_and_edit(db_url: str):
    planted(db_url)
    code, output = invoke(
        "criteria", "add", "--phase", "Copilot for every engineer", "--start", START.isoformat(),
        "--metric", "cycle_time", "--team", "eng", "--target", "-25%",
        "--review", REVIEW.isoformat(), "--by", "ana@acme.example", "--db", db_url,
    )  # fmt: skip
    assert code == 0, output
    assert "#1 Copilot for every engineer" in output
    assert "baseline (month end 2026-02-28) 4 days" in output
    code, output = invoke("criteria", "status", "1", "--as-of", "2026-06-20", "--db", db_url)
    assert code == 0 and "Met (M1" in output and "-2 days" in output
    assert "released month end 2026-05-31" in output
    code, output = invoke("criteria", "list", "--format", "json", "--db", db_url)
    assert code == 0
    [listed] = json.loads(output)
    assert listed["status"]["status"] == "met"
    assert listed["baseline"]["value"] == 4.0 and listed["target_change"] == -1.0
    # today is after the start: an edit needs a reason
    code, output = invoke("criteria", "edit", "1", "--target", "-20%", "--db", db_url)
    assert code == 2 and "say why it changes" in output and "Traceback" not in output
    code, output = invoke(
        "criteria", "edit", "1", "--target", "-20%", "--reason", "Half the teams start late",
        "--db", db_url,
    )  # fmt: skip
    assert code == 0 and "1 revision(s), 1 after the start" in output
    code, output = invoke("criteria", "retire", "1", "--reason", "Merged", "--db", db_url)
    assert code == 0
    assert "retired: Merged" in invoke("criteria", "list", "--db", db_url)[1]


def test_bad_input_exits_2_and_writes_nothing(db_url: str):
    planted(db_url)
    before = table_counts(db_url)
    for args, message in (
        (["--metric", "velocity"], "unknown metric 'velocity'"),
        (["--team", "nope"], "unknown team 'nope'"),
        (["--target", "+25%"], "wrong direction"),
        (["--target", "fast"], "expected a number"),
        (["--start", "2026-02-30"], "expected a date"),
        (["--review", "2026-01-01"], "must be after the phase start"),
        (["--method", "vibes"], "--method"),
    ):
        base = {
            "--phase": "P", "--start": START.isoformat(), "--metric": "cycle_time",
            "--team": "eng", "--target": "-25%",
        }  # fmt: skip
        options = dict(base)
        options.update(dict(zip(args[::2], args[1::2], strict=True)))
        flat = [part for pair in options.items() for part in pair]
        code, output = invoke("criteria", "add", *flat, "--db", db_url)
        assert code == 2, (args, output)
        assert message in output and "Nothing was written." in output, (args, output)
        assert "Traceback" not in output
    assert invoke("criteria", "status", "42", "--db", db_url)[0] == 2
    assert table_counts(db_url) == before


def test_wins_add_and_list(db_url: str):
    planted(db_url)
    code, output = invoke(
        "wins", "add", "--title", "Faster reviews", "--source", "Jira", "--metric", "cycle_time",
        "--team", "eng", "--period", f"{START.isoformat()}..{REVIEW.isoformat()}",
        "--db", db_url,
    )  # fmt: skip
    assert code == 0, output
    assert "change -2 days" in output and "Improved" in output
    assert "(month end 2026-02-28)" in output and "(month end 2026-05-31)" in output
    code, output = invoke(
        "wins", "add", "--title", "Notes", "--source", "managers",
        "--period", "2026-04-01..2026-04-30", "--db", db_url,
    )  # fmt: skip
    assert code == 0 and "self-reported" in output
    future = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    code, output = invoke(
        "wins", "add", "--title", "Soon", "--source", "x",
        "--period", f"{dt.date.today().isoformat()}..{future}", "--db", db_url,
    )  # fmt: skip
    assert code == 2 and "in the future" in output
    assert (
        invoke("wins", "add", "--title", "x", "--source", "y", "--period", "May", "--db", db_url)[0]
        == 2
    )
    code, output = invoke("wins", "list", "--format", "json", "--db", db_url)
    assert code == 0 and [w["title"] for w in json.loads(output)] == ["Faster reviews", "Notes"]
