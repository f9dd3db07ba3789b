"""Jira and ticket imports end to end: real files, the real CLI, SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.work.service import import_jira, work_item_id
from tests.files import write_csv
from tests.work.samples import (
    SERVICENOW_LABELS,
    ZENDESK_HEADER,
    census,
    jira_issue,
    jira_row,
    rows,
    setup_directory,
    work_items,
    write_jira_csv,
    write_jira_json,
    zendesk_row,
)

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_jira_csv_import_writes_issues_and_work_items(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    data = [
        jira_row(1),
        jira_row(2, Status="In Progress", Resolved="", **{"Assignee Id": "", "Sprint2": ""}),
        jira_row(3, Status="To Do", Resolved="", Created="2025-02-03 14:14"),
        jira_row(9, Assignee="Nobody Known", **{"Assignee Id": "acc-unknown"}),
        jira_row(4, Assignee="", **{"Assignee Id": "", "Custom field (Story Points)": ""}),
    ]
    path = write_jira_csv(tmp_path / "Jira Export.csv", data)
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    assert "5 rows read" in output and "Nobody Known" in output
    items = work_items(db_url)
    assert set(items) == {"PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-9"}
    one = items["PAY-1"]
    assert one.id == work_item_id("jira", "PAY-1")
    assert (one.source, one.kind, one.status, one.status_category) == (
        "jira",
        "issue",
        "Done",
        "done",
    )
    assert one.person_id is not None and one.team_id is not None
    assert one.created_at == dt.datetime(2025, 2, 3, 14, 14)
    assert one.resolved_at == dt.datetime(2025, 2, 5, 9, 0)
    assert (one.started_at, one.reopen_count, one.rework_count) == (None, None, None)  # unknown
    assert one.story_points == 3.0 and one.sprint == "PAY Sprint 2"
    assert items["PAY-2"].person_id is not None  # display name, no account id
    assert items["PAY-2"].sprint == "PAY Sprint 1"
    assert items["PAY-2"].status_category == "in_progress"
    assert items["PAY-3"].created_at == dt.datetime(2025, 2, 3, 14, 14)
    unresolved = items["PAY-9"]
    assert unresolved.person_id is None and unresolved.assignee_ref == "acc-unknown"
    assert items["PAY-4"].assignee_ref is None and items["PAY-4"].story_points is None
    (issue,) = rows(db_url, "select sprints, labels, summary from jira_issue where key = 'PAY-1'")
    assert issue.sprints == "PAY Sprint 1\nPAY Sprint 2" and issue.labels == "backend"
    (run,) = rows(
        db_url,
        "select kind, rows_read, rows_written, rows_unresolved from import_run where kind = 'jira'",
    )
    assert tuple(run) == ("jira", 5, 5, 1)
    assert rows(db_url, "select count(*) from raw_chunk")[0][0] == 1


def test_each_row_naming_someone_unknown_counts_and_names_resolve_in_any_batch(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Assignees are resolved once per distinct set of names: every row still counts."""
    import gaplens.work.service as work_service

    monkeypatch.setattr(work_service, "BATCH_SIZE", 2)
    setup_directory(db_url, tmp_path)
    unknown = {"Assignee": "Nobody Known", "Assignee Id": "acc-unknown"}
    data = [jira_row(n, **(unknown if n % 2 else {})) for n in range(1, 6)]
    data.append(jira_row(6, Assignee="Person 2", **{"Assignee Id": ""}))  # by display name
    path = write_jira_csv(tmp_path / "jira.csv", data)
    with session_scope(db_url) as session:
        summary = import_jira(session, path)
    assert summary.rows_unresolved == 3 and "Nobody Known (3)" in summary.unresolved_note
    items = work_items(db_url)
    assert {k for k, item in items.items() if item.person_id is None} == {"PAY-1", "PAY-3", "PAY-5"}
    assert items["PAY-6"].person_id == items["PAY-2"].person_id is not None
    assert items["PAY-4"].team_id is not None and items["PAY-1"].assignee_ref == "acc-unknown"


@settings(max_examples=200, deadline=None)
@given(source=st.sampled_from(["jira", "zendesk", "a:b"]), key=st.text(max_size=30))
def test_work_item_ids_are_uuid5_of_source_and_key(source: str, key: str):
    import uuid

    from gaplens.work.service import WORK_ITEM_NAMESPACE, work_item_ids

    expected = str(uuid.uuid5(WORK_ITEM_NAMESPACE, f"{source}:{key}"))
    assert work_item_id(source, key) == expected
    assert work_item_ids(source, [key, key]) == [expected, expected]


def test_raw_rows_keep_the_record_as_one_line(db_url: str, tmp_path: Path):
    from gaplens.imports.raw import read_raw_row

    path = write_jira_csv(tmp_path / "jira.csv", [jira_row(1), jira_row(2)])
    with session_scope(db_url) as session:
        summary = import_jira(session, path)
    with session_scope(db_url) as session:
        (run_id,) = rows(db_url, "select id from import_run")[0]
        line = read_raw_row(session, run_id, 3)
    assert summary.rows_written == 2
    assert line is not None and line.startswith("Checkout step 2,PAY-2,")
    assert "1. open the cart\\n2." in line


def test_jira_json_changelog_gives_cycle_time_inputs(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    history = [
        ("2025-02-04T09:00:00.000+0100", "To Do", "In Progress"),
        ("2025-02-05T10:00:00.000+0000", "In Progress", "In Review"),
        ("2025-02-05T15:00:00.000+0000", "In Review", "In Progress"),  # rework
        ("2025-02-06T10:00:00.000+0000", "In Progress", "Done"),
        ("2025-02-07T10:00:00.000+0000", "Done", "In Progress"),  # reopen + rework
        ("2025-02-08T10:00:00.000+0000", "In Progress", "Done"),
    ]
    issues = [
        jira_issue(1, history=list(reversed(history))),  # newest first: order is by time
        jira_issue(2, status="In Progress", category="indeterminate", history=history[:1]),
        jira_issue(3, status="To Do", category="new", assignee=None, customfield_10016=None),
    ]
    path = write_jira_json(tmp_path / "search.json", issues)
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    one = items["PAY-1"]
    assert one.started_at == dt.datetime(2025, 2, 4, 8, 0)
    assert one.resolved_at == dt.datetime(2025, 2, 10, 9, 0)
    assert (one.reopen_count, one.rework_count) == (1, 2)
    assert one.story_points == 5.0 and one.sprint == "PAY Sprint 2" and one.person_id
    assert items["PAY-2"].status_category == "in_progress" and items["PAY-2"].resolved_at is None
    assert items["PAY-3"].status_category == "todo" and items["PAY-3"].person_id is None
    transitions = rows(
        db_url,
        f"select ordinal, from_status, to_status from work_item_transition "
        f"where work_item_id = '{work_item_id('jira', 'PAY-1')}' order by ordinal",
    )
    assert [t.to_status for t in transitions] == [h[2] for h in history]
    counts = census(db_url)
    assert counts["jira_status_change"] == 7 and counts["work_item_transition"] == 7


def test_a_changelog_the_search_cut_short_leaves_reopens_unknown(db_url: str, tmp_path: Path):
    """Jira Cloud's search returns at most `maxResults` histories per issue with their `total`:
    a reopen may hide in the histories left out, so the counts are unknown (NULL), not 0; a
    changelog that holds all its histories still counts them, and the import says which
    issues were cut."""
    setup_directory(db_url, tmp_path)
    moves = [
        ("2025-02-04T09:00:00.000+0000", "To Do", "In Progress"),
        ("2025-02-06T10:00:00.000+0000", "In Progress", "Done"),
    ]
    cut = jira_issue(1, history=moves)
    cut["changelog"].update({"startAt": 0, "maxResults": 2, "total": 41})
    whole = jira_issue(2, history=moves)
    whole["changelog"].update({"startAt": 0, "maxResults": 100, "total": 2})
    path = write_jira_json(tmp_path / "search-page-1.json", [cut, whole])
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    assert (items["PAY-1"].reopen_count, items["PAY-1"].rework_count) == (None, None)
    assert items["PAY-1"].started_at == dt.datetime(2025, 2, 4, 9, 0)
    assert (items["PAY-2"].reopen_count, items["PAY-2"].rework_count) == (0, 0)
    warning = " ".join(output.split())
    assert "warning: search-page-1.json: 1 issues have a changelog the search cut short" in warning
    assert "PAY-1)" in warning and "PAY-2" not in warning


def test_reimport_is_idempotent_and_a_later_export_replaces_exactly(db_url: str, tmp_path: Path):
    first = write_jira_csv(
        tmp_path / "jan.csv", [jira_row(n, Status="To Do", Resolved="") for n in (1, 2, 3)]
    )
    assert invoke("import", "jira", str(first), "--db", db_url)[0] == 0
    snapshot = rows(db_url, "select id, key, status from work_item order by key")
    assert invoke("import", "jira", str(first), "--db", db_url)[0] == 0
    assert rows(db_url, "select id, key, status from work_item order by key") == snapshot
    counts = census(db_url)
    assert counts["work_item"] == 3 and counts["jira_issue"] == 3 and counts["import_run"] == 2
    assert counts["raw_chunk"] == 1  # the same file's earlier raw rows are not kept twice
    later = write_jira_csv(tmp_path / "feb.csv", [jira_row(3), jira_row(4)])
    assert invoke("import", "jira", str(later), "--db", db_url)[0] == 0
    status = {r.key: r.status for r in rows(db_url, "select key, status from work_item")}
    assert status == {"PAY-1": "To Do", "PAY-2": "To Do", "PAY-3": "Done", "PAY-4": "Done"}
    # the JSON with history, then a CSV re-export of one issue: its history goes with it
    json_file = write_jira_json(
        tmp_path / "s.json", [jira_issue(5, history=[("2025-02-04T09:00:00Z", "To Do", "Done")])]
    )
    assert invoke("import", "jira", str(json_file), "--db", db_url)[0] == 0
    assert census(db_url)["work_item_transition"] == 1
    assert invoke("import", "jira", str(json_file), "--db", db_url)[0] == 0
    assert census(db_url)["work_item_transition"] == 1
    assert invoke("import", "jira", str(later), "--db", db_url)[0] == 0
    assert census(db_url)["work_item_transition"] == 1  # PAY-5 is not in the CSV


def test_tickets_from_zendesk_and_servicenow(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    zendesk = write_csv(
        tmp_path / "tickets.csv",
        [
            zendesk_row(1),
            {
                "Summation column": "1",
                "Id": "102",
                "Requester": "Dan",
                "Requester id": "8",
                "Requester email": "dan@customer.example",
                "Assignee": "",
                "Group": "",
                "Subject": "Hello",
                "Tags": "",
                "Status": "Open",
                "Priority": "",
                "Via": "Web",
                "Type": "",
                "Created at": "2025-02-05 08:00:00 +0000",
                "Updated at": "",
                "Assigned at": "",
                "Solved at": "",
                "Reopens": "",
                "Replies": "0",
            },
        ],
        ZENDESK_HEADER,
    )
    code, output = invoke("import", "tickets", str(zendesk), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    assert items["101"].source == "zendesk" and items["101"].kind == "ticket"
    assert items["101"].created_at == dt.datetime(2025, 2, 3, 13, 14)
    assert items["101"].resolved_at == dt.datetime(2025, 2, 4, 10, 0)
    assert items["101"].person_id and items["101"].team_id and items["101"].reopen_count == 1
    assert items["102"].status_category == "in_progress" and items["102"].person_id is None
    (raw_text,) = rows(db_url, "select count(*) from zendesk_ticket")[0]
    assert raw_text == 2
    from gaplens.imports.raw import read_raw_row

    with session_scope(db_url) as session:
        (run_id,) = rows(db_url, "select id from import_run where kind = 'zendesk'")[0]
        line = read_raw_row(session, run_id, 2)
    assert line is not None and "carol" not in line.lower() and "Refund" not in line

    servicenow = write_csv(
        tmp_path / "incident.csv",
        [
            dict(
                zip(
                    SERVICENOW_LABELS,
                    [
                        "INC0010001",
                        "2025-02-03 14:14:00",
                        "VPN down",
                        "A Caller",
                        "2 - High",
                        "Resolved",
                        "Network",
                        "Service Desk",
                        "Person 5",
                        "2025-02-04 09:00:00",
                        "2025-02-04 09:00:00",
                        "",
                        "0",
                    ],
                    strict=True,
                )
            ),
            dict(
                zip(
                    SERVICENOW_LABELS,
                    [
                        "INC0010002",
                        "2025-02-05 08:00:00",
                        "Printer",
                        "B Caller",
                        "4 - Low",
                        "In Progress",
                        "Hardware",
                        "Service Desk",
                        "Ghost Agent",
                        "",
                        "",
                        "",
                        "2",
                    ],
                    strict=True,
                )
            ),
        ],
        SERVICENOW_LABELS,
    )
    code, output = invoke("import", "tickets", str(servicenow), "--db", db_url)
    assert code == 0, output
    assert "Ghost Agent" in output
    inc = work_items(db_url, "servicenow")
    assert inc["INC0010001"].status_category == "done" and inc["INC0010001"].person_id
    assert inc["INC0010002"].reopen_count == 2 and inc["INC0010002"].assignee_ref == "Ghost Agent"
    (caller,) = rows(db_url, "select count(*) from servicenow_incident")[0]
    assert caller == 2


BAD_JIRA = {
    "missing column": (
        lambda p: write_jira_csv(
            p, [jira_row(1)[:4] + jira_row(1)[5:]], [h for h in _header() if h != "Status"]
        ),
        "column 'Status'",
        1,
    ),
    "renamed column": (
        lambda p: write_jira_csv(
            p, [jira_row(1)], ["Created on" if h == "Created" else h for h in _header()]
        ),
        "column 'Created'",
        1,
    ),
    "unknown date format": (
        lambda p: write_jira_csv(p, [jira_row(1), jira_row(2, Updated="2/3/2025 14:14")]),
        "row 3, column 'Updated'",
        3,
    ),
    "not a number": (
        lambda p: write_jira_csv(
            p, [jira_row(1), jira_row(2, **{"Custom field (Story Points)": "three"})]
        ),
        "row 3, column 'Custom field (Story Points)'",
        3,
    ),
    "truncated json": (
        lambda p: p.write_text(json.dumps({"issues": [jira_issue(1), jira_issue(2)]})[:-300]),
        "ends early",
        None,
    ),
    "copilot ndjson": (
        lambda p: p.write_text(
            '{"day": "2025-10-01", "user_login": "octo", "user_initiated_interaction_count": 3}\n{"day": "2025-10-02", "user_login": "octo"}\n'
        ),
        "no 'issues' list",
        None,
    ),
    "bad date in json": (
        lambda p: write_jira_json(p, [jira_issue(1), jira_issue(2, created="yesterday")]),
        "row 2, column 'fields.created'",
        2,
    ),
}


def _header() -> list[str]:
    from tests.work.samples import JIRA_HEADER

    return JIRA_HEADER


@pytest.mark.parametrize("case", list(BAD_JIRA))
def test_bad_jira_input_is_located_and_nothing_is_written(db_url: str, tmp_path: Path, case: str):
    make, expected, _row = BAD_JIRA[case]
    path = tmp_path / "export.csv"
    make(path)
    before = census(db_url)
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 2, output
    flat = " ".join(output.split())
    assert "export.csv" in flat and expected in flat, output
    assert census(db_url) == before


def test_a_sparse_two_gigabyte_file_is_refused_quickly(db_url: str, tmp_path: Path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        os.truncate(handle.fileno(), 2 * 1024**3)
    before = census(db_url)
    for command in (["jira"], ["tickets"]):
        code, output = invoke("import", *command, str(path), "--db", db_url)
        assert code == 2 and "huge.csv" in output and "binary" in output
    assert census(db_url) == before


def test_bad_ticket_rows_are_located_and_nothing_is_written(db_url: str, tmp_path: Path):
    good = {h: "" for h in ZENDESK_HEADER} | {
        "Id": "1",
        "Status": "Open",
        "Created at": "2025-02-03 14:14:00",
    }
    path = write_csv(
        tmp_path / "zd.csv", [good, good | {"Id": "2", "Reopens": "many"}], ZENDESK_HEADER
    )
    before = census(db_url)
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 2 and "zd.csv, row 3, column 'Reopens'" in " ".join(output.split())
    wrong = write_csv(tmp_path / "other.csv", [{"a": "1", "b": "2"}])
    code, output = invoke("import", "tickets", str(wrong), "--db", db_url)
    assert code == 2 and "does not look like a Zendesk" in output
    code, output = invoke("import", "tickets", str(path), "--system", "servicenow", "--db", db_url)
    assert code == 2 and "ServiceNow" in output
    assert census(db_url) == before


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["PAY-1", "PAY-2", "", "x" * 70]),
            st.sampled_from(["Done", "In Progress", ""]),
            st.sampled_from(["03/Feb/25 2:14 PM", "2025-02-03 14:14", "2/3/25", ""]),
            st.sampled_from(["", "3", "1.5", "three", "nan"]),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_fuzzed_imports_write_all_or_nothing(
    db_url: str, tmp_path: Path, cells: list[tuple[str, str, str, str]]
):
    header = ["Issue key", "Status", "Created", "Custom field (Story Points)", "Sprint", "Sprint"]
    path = write_jira_csv(tmp_path / "fuzz.csv", [[*c, "S1", "S2"] for c in cells], header)
    before = census(db_url)
    try:
        with session_scope(db_url) as session:
            import_jira(session, path)
    except InputError:
        assert census(db_url) == before
    else:
        after = census(db_url)
        assert after["import_run"] == before["import_run"] + 1
        assert set(work_items(db_url)) >= {c[0] for c in cells}
