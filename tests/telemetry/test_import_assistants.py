"""`gaplens import cursor-usage` and `gaplens import claude-code-usage` end to end: files shaped
like the admin APIs' responses, the real CLI, both databases."""

from __future__ import annotations

import json
from pathlib import Path

from gaplens.db.engine import session_scope
from gaplens.imports.raw import read_raw_row
from tests.telemetry.assistant_payloads import (
    claude_api_key,
    claude_page,
    claude_user,
    cursor_day,
    cursor_response,
    write_json,
    write_pages,
)
from tests.telemetry.helpers import directory, invoke, rows

USAGE_SQL = (
    "select p.email, u.day, u.tool, u.app, u.interactions, u.suggestions, u.acceptances, "
    "u.loc_suggested, u.loc_added from ai_usage_day u join person p on p.id = u.person_id "
    "order by p.email, u.day, u.tool"
)


def usage(url: str) -> list[tuple[str, ...]]:
    return [tuple(map(str, row)) for row in rows(url, USAGE_SQL)]


def count(url: str, table: str) -> int:
    return int(str(rows(url, f"select count(*) from {table}")[0][0]))


def test_cursor_response_imports_tool_and_domain_rows(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    export = write_json(
        tmp_path / "cursor.json",
        cursor_response(
            [
                cursor_day("Person1@ACME.example", "2026-10-01", n=2),
                cursor_day("person2@acme.example", "2026-10-01", active=False),
                cursor_day("person1@acme.example", "2026-10-02"),
                cursor_day("stranger@elsewhere.example", "2026-10-02"),
            ],
            "2026-10-01",
            "2026-10-31",
        ),
    )
    code, output = invoke("import", "cursor-usage", str(export), "--db", db_url)
    assert code == 0, output
    assert "4 rows read" in output and "2 person-days of AI usage" in output
    assert "1 member-days not active" in output
    assert "stranger@elsewhere.example" in output  # named, kept, not counted
    assert count(db_url, "cursor_user_day") == 4
    # interactions = composer + chat + agent + cmd-K requests; suggestions = tabs shown
    assert usage(db_url) == [
        ("person1@acme.example", "2026-10-01", "cursor", "ide", "48", "80", "60", "300", "220"),
        ("person1@acme.example", "2026-10-02", "cursor", "ide", "24", "40", "30", "150", "110"),
    ]
    # the raw rows keep each record's text at the line it starts on
    (source_row,) = rows(
        db_url, "select source_row from cursor_user_day where email = 'stranger@elsewhere.example'"
    )[0]
    with session_scope(db_url) as session:
        run = rows(db_url, "select id from import_run where kind = 'cursor-usage'")[0][0]
        text = read_raw_row(session, int(str(run)), int(str(source_row)))
    # the rows between records (the rest of each pretty-printed record) are empty rows, so
    # the whole file is one chunk of consecutive rows, not a chunk per record
    assert count(db_url, f"raw_chunk where import_run_id = {run}") == 1
    with session_scope(db_url) as session:
        assert read_raw_row(session, int(str(run)), int(str(source_row)) - 1) == ""
    # (a record spread over lines is kept with its newlines escaped, as every raw row is)
    assert text is not None
    assert json.loads(text.replace("\\n", "\n"))["email"] == "stranger@elsewhere.example"


def test_cursor_reimport_and_a_later_inactive_day_replace_exactly(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    first = write_json(
        tmp_path / "a.json",
        cursor_response(
            [cursor_day("person1@acme.example", "2026-10-01")], "2026-10-01", "2026-10-02"
        ),
    )
    for _ in range(2):
        assert invoke("import", "cursor-usage", str(first), "--db", db_url)[0] == 0
    assert count(db_url, "cursor_user_day") == 1 and len(usage(db_url)) == 1
    later = write_json(
        tmp_path / "b.json",
        cursor_response(
            [cursor_day("PERSON1@acme.example", "2026-10-01", active=False)],
            "2026-10-01",
            "2026-10-02",
        ),
    )
    assert invoke("import", "cursor-usage", str(later), "--db", db_url)[0] == 0
    assert count(db_url, "cursor_user_day") == 1  # same member-day, whatever the case
    assert usage(db_url) == []


def test_claude_code_report_counts_users_and_reports_api_keys(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    export = write_json(
        tmp_path / "claude.json",
        claude_page(
            [
                claude_user("person1@acme.example", "2026-10-01", sessions=2),
                claude_user("person1@acme.example", "2026-10-01", sessions=1, terminal="iTerm.app"),
                claude_user("person2@acme.example", "2026-10-01", sessions=0),
                claude_api_key("ci-pipeline", "2026-10-01"),
            ]
        ),
    )
    code, output = invoke("import", "claude-code-usage", str(export), "--db", db_url)
    assert code == 0, output
    assert "4 rows read" in output and "1 person-days of AI usage" in output
    assert "1 records of 1 API key(s) kept, not counted as people: ci-pipeline (1)" in output
    assert count(db_url, "claude_code_user_day") == 4
    # person1's two terminals are one usage day; suggestions = edits proposed (accepted or
    # rejected), acceptances = accepted, interactions = sessions, lines = lines added
    assert usage(db_url) == [
        (
            "person1@acme.example",
            "2026-10-01",
            "claude-code",
            "cli",
            "3",
            "27",
            "24",
            "None",
            "300",
        ),
    ]
    kept = rows(
        db_url,
        "select tool_actions, model_breakdown from claude_code_user_day "
        "where actor = 'person1@acme.example' and terminal_type = 'vscode'",
    )[0]
    assert json.loads(str(kept[0]))["edit_tool"] == {"accepted": 10, "rejected": 2}
    assert json.loads(str(kept[1]))[0]["estimated_cost"] == {"amount": 186, "currency": "USD"}


def test_claude_code_pages_as_json_lines_and_an_incomplete_pull(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    pages = [
        claude_page([claude_user("person1@acme.example", "2026-10-02")], True, "page_Mg=="),
        claude_page([claude_user("person3@acme.example", "2026-10-02")], True, "page_Mw=="),
    ]
    partial = write_pages(tmp_path / "partial.jsonl", pages)
    code, output = invoke("import", "claude-code-usage", str(partial), "--db", db_url)
    assert code == 0, output
    assert "warning: partial.jsonl is incomplete" in output and "page_Mw==" in output
    pages[1]["has_more"], pages[1]["next_page"] = False, None
    whole = write_pages(tmp_path / "whole.jsonl", pages)
    code, output = invoke("import", "claude-code-usage", str(whole), "--db", db_url)
    assert code == 0 and "warning" not in output, output
    assert [r[0] for r in usage(db_url)] == ["person1@acme.example", "person3@acme.example"]
    assert count(db_url, "claude_code_user_day") == 2


def test_bad_input_names_file_row_and_field_and_writes_nothing(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    runs_before = count(db_url, "import_run")
    bad_count = cursor_day("person1@acme.example", "2026-10-01")
    bad_count["totalTabsShown"] = -3
    no_email = cursor_day("", "2026-10-02")
    cursor = write_json(
        tmp_path / "cursor.json",
        cursor_response(
            [cursor_day("person2@acme.example", "2026-10-01"), bad_count, no_email],
            "2026-10-01",
            "2026-10-03",
        ),
    )
    code, output = invoke("import", "cursor-usage", str(cursor), "--db", db_url)
    assert code == 2, output
    assert (
        "cursor.json, row 29, column 'data[1].totalTabsShown': -3 is not a whole number" in output
    )
    assert "column 'data[2].email'" in output
    bad_actor = claude_user("person1@acme.example", "2026-10-01")
    bad_actor["actor"] = {"type": "service_actor", "name": "x"}
    bad_lines = claude_user("person1@acme.example", "2026-13-01")
    bad_lines["core_metrics"]["lines_of_code"]["added"] = "many"
    claude = write_pages(
        tmp_path / "claude.jsonl", [claude_page([bad_actor]), claude_page([bad_lines])]
    )
    code, output = invoke("import", "claude-code-usage", str(claude), "--db", db_url)
    assert code == 2, output
    assert "claude.jsonl, row 1, column 'data[0].actor.type'" in output
    assert "row 2, column 'data[0].date': '2026-13-01T00:00:00Z' is not a date" in output
    assert "row 2, column 'data[0].core_metrics.lines_of_code.added'" in output
    for name, text in [
        ("truncated.json", '{"data": [{"date": 1759276800000, "email": "a@b.c"'),
        ("list.json", '{"data": {"date": 1}}'),
        ("other.json", '{"value": []}'),
        ("csv.json", "date,email\n1,a@b.c\n"),
    ]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        code, output = invoke("import", "cursor-usage", str(path), "--db", db_url)
        assert code == 2, output
        assert name in output and "Traceback" not in output
    assert count(db_url, "import_run") == runs_before
    assert count(db_url, "cursor_user_day") == count(db_url, "claude_code_user_day") == 0
    assert count(db_url, "raw_chunk") == 0
