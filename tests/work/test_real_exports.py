"""Exports as they reach gaplens in practice, through the real CLI on SQLite and PostgreSQL.

Jira CSVs re-saved by Excel (semicolons, Windows-1252, `2/13/2026 14:05`, `13.02.2026`),
exported in German or French (`13/Mär/26`, `13/févr./26`), from sites with both story-point
fields; ServiceNow's Windows-1252 CSV with dd-MM-yyyy dates and its JSONv2 export; Zendesk
Explore's CSV. Each file is written here the way the tool or Excel writes it.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gaplens.cli import app
from tests.work.samples import census, rows, setup_directory, work_items

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def raw_lines(db_url: str) -> list[str]:
    """Every raw row kept, as text."""
    return [
        line
        for (data,) in rows(db_url, "select data from raw_chunk")
        for line in zlib.decompress(data).decode().split("\n")
    ]


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """`text` with Windows line endings, as Excel and the tools write CSV."""
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


# --- Jira CSV -------------------------------------------------------------------------------

JIRA_GERMAN_EXCEL = """\
Summary;Issue key;Issue id;Issue Type;Status;Project key;Assignee;Assignee Id;Created;Updated;Resolved;Sprint;Custom field (Story Points);Custom field (Story point estimate)
Übergabe an Müller prüfen;PAY-1;10001;Story;Done;PAY;Person 1;jira00000000000000000001;13.02.2026 14:05;16.02.2026 09:30;16.02.2026 09:30;PAY Sprint 7;2,5;
"Preise; Währung € anzeigen";PAY-2;10002;Story;In Progress;PAY;Person 2;;03.02.2026 08:00;;;PAY Sprint 7;;5
Größe prüfen;PAY-3;10003;Bug;Done;PAY;Person 3;;01.03.2026;04.03.2026;04.03.2026;PAY Sprint 8;3;8
"""


def test_a_jira_csv_excel_saved_in_german_imports_as_it_is(db_url: str, tmp_path: Path):
    """Semicolons, Windows-1252, dd.MM.yyyy, a decimal comma, both story-point columns."""
    setup_directory(db_url, tmp_path)
    path = write(tmp_path / "Jira (Excel).csv", JIRA_GERMAN_EXCEL, "cp1252")
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    assert "3 rows read" in output and "warning" not in output
    items = work_items(db_url)
    assert set(items) == {"PAY-1", "PAY-2", "PAY-3"}
    one, two, three = items["PAY-1"], items["PAY-2"], items["PAY-3"]
    assert one.created_at == dt.datetime(2026, 2, 13, 14, 5)
    assert one.resolved_at == dt.datetime(2026, 2, 16, 9, 30)
    assert three.created_at == dt.datetime(2026, 3, 1)
    # Story Points when filled, else the estimate; a decimal comma in a semicolon file.
    assert (one.story_points, two.story_points, three.story_points) == (2.5, 5.0, 3.0)
    assert all(item.person_id is not None for item in items.values())
    (summary,) = rows(db_url, "select summary from jira_issue where key = 'PAY-2'")
    assert summary[0] == "Preise; Währung € anzeigen"
    (first,) = rows(db_url, "select summary from jira_issue where key = 'PAY-1'")
    assert first[0] == "Übergabe an Müller prüfen"


JIRA_HEADER = (
    "Summary,Issue key,Status,Assignee,Created,Resolved,Sprint,Custom field (Story Points)"
)


def test_jira_month_names_in_german_and_french_are_read(db_url: str, tmp_path: Path):
    path = write(
        tmp_path / "jira-de-fr.csv",
        f"""{JIRA_HEADER}
a,PAY-1,Fertig,Person 1,13/Feb/26 14:05,13/Mär/26 09:00,S1,1
b,PAY-2,Done,Person 2,13/févr./26 14:05,02/déc./26 10:00,S1,2
c,PAY-3,Done,Person 3,01/Mai/2026 2:05 PM,13/Okt./26,S1,3
d,PAY-4,Done,Person 4,01/März/26,09/août/26,S1,4
""",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    assert items["PAY-1"].resolved_at == dt.datetime(2026, 3, 13, 9, 0)
    assert items["PAY-2"].created_at == dt.datetime(2026, 2, 13, 14, 5)
    assert items["PAY-2"].resolved_at == dt.datetime(2026, 12, 2, 10, 0)
    assert items["PAY-3"].created_at == dt.datetime(2026, 5, 1, 14, 5)
    assert items["PAY-3"].resolved_at == dt.datetime(2026, 10, 13)
    assert items["PAY-4"].created_at == dt.datetime(2026, 3, 1)
    assert items["PAY-4"].resolved_at == dt.datetime(2026, 8, 9)


def test_excel_us_dates_take_their_order_from_the_rest_of_the_file(db_url: str, tmp_path: Path):
    """3/4/2026 alone could be either; a later 2/13/2026 shows the month comes first."""
    path = write(
        tmp_path / "jira-us.csv",
        f"""{JIRA_HEADER}
a,PAY-1,Done,Person 1,3/4/2026 9:00,3/5/2026 17:30,S1,1
b,PAY-2,Done,Person 2,2/13/2026 14:05,2/14/2026 8:00,S1,2
""",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    assert items["PAY-1"].created_at == dt.datetime(2026, 3, 4, 9, 0)
    assert items["PAY-1"].resolved_at == dt.datetime(2026, 3, 5, 17, 30)
    assert items["PAY-2"].created_at == dt.datetime(2026, 2, 13, 14, 5)


def test_numeric_dates_no_row_can_order_are_refused_and_nothing_is_written(
    db_url: str, tmp_path: Path
):
    before = census(db_url)
    path = write(
        tmp_path / "jira-ambiguous.csv",
        f"""{JIRA_HEADER}
a,PAY-1,Done,Person 1,03/04/2026 09:00,05/04/2026,S1,1
b,PAY-2,Done,Person 2,04/04/2026 09:00,,S1,2
""",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 2, output
    assert "jira-ambiguous.csv" in output
    assert "row 2" in output and "Created" in output and "'03/04/2026 09:00'" in output
    assert "Resolved" in output and "day/month or month/day" in output
    assert "row 3" not in output  # 04/04 is the same either way
    assert census(db_url) == before


def test_a_date_against_the_files_order_is_refused_naming_row_and_column(
    db_url: str, tmp_path: Path
):
    before = census(db_url)
    path = write(
        tmp_path / "jira-mixed.csv",
        f"""{JIRA_HEADER}
a,PAY-1,Done,Person 1,2/13/2026 09:00,,S1,1
b,PAY-2,Done,Person 2,2/3/2026 09:00,14/2/2026 10:00,S1,2
""",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 2, output
    assert "row 3" in output and "Resolved" in output
    assert "puts the day first" in output and "month first" in output
    assert census(db_url) == before


def test_absent_optional_columns_are_named_with_what_will_lack_data(db_url: str, tmp_path: Path):
    path = write(
        tmp_path / "jira-few.csv",
        """Issue key,Status,Created,Assignee
PAY-1,Done,2026-02-13 14:05,Person 1
""",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    assert "1 rows read" in output
    warnings = [line for line in output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3, output
    assert any("Story Points" in w and "story points per sprint" in w for w in warnings)
    assert any("no Sprint column" in w for w in warnings)
    assert any("no Resolved column" in w and "cycle time" in w for w in warnings)
    assert all('"not enough data"' in w for w in warnings)


def test_a_file_neither_utf8_nor_windows_1252_is_refused(db_url: str, tmp_path: Path):
    path = tmp_path / "jira-bad.csv"
    path.write_bytes(b"Issue key,Status,Created\r\nPAY-1,Done \x81\xff,2026-02-13\r\n")
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 2, output
    assert "jira-bad.csv" in output and "neither UTF-8 nor Windows-1252" in output
    assert "0x81" in output


# --- tickets --------------------------------------------------------------------------------

SERVICENOW_CSV = """\
"number","opened_at","short_description","caller_id","priority","state","category","assignment_group","assigned_to","resolved_at","closed_at","reopen_count"
"INC0010001","13-02-2026 14:05:00","Drucker im 2. Stock – Zoë Müller","Zoë Müller","3 - Moderate","Resolved","Hardware","Service Desk","Person 5","14-02-2026 09:00:00","","0"
"INC0010002","03-02-2026 08:00:00","Passwort zurücksetzen","René Dubois","4 - Low","In Progress","Inquiry / Help","Service Desk","Person 5","","","1"
"""


def test_a_windows_1252_servicenow_export_with_day_first_dates(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    path = write(tmp_path / "incident.csv", SERVICENOW_CSV, "cp1252")
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0, output
    assert "2 rows read" in output and "ServiceNow" in output and "warning" not in output
    items = work_items(db_url)
    one, two = items["INC0010001"], items["INC0010002"]
    assert one.created_at == dt.datetime(2026, 2, 13, 14, 5)
    assert one.resolved_at == dt.datetime(2026, 2, 14, 9, 0)
    assert two.created_at == dt.datetime(2026, 2, 3, 8, 0)  # 03-02 is day-first in this file
    assert one.status_category == "done" and two.status_category == "in_progress"
    assert one.person_id is not None and (one.reopen_count, two.reopen_count) == (0, 1)
    raw = " ".join(raw_lines(db_url))
    assert "Zoë" not in raw and "Dubois" not in raw and "Drucker" not in raw


def servicenow_jsonv2(records: list[dict[str, str]]) -> str:
    return json.dumps({"records": records}, indent=2, ensure_ascii=False)


def incident(number: str, **fields: str) -> dict[str, str]:
    """A record as `incident.do?JSONv2&displayvalue=all` gives it: all values strings."""
    record = {
        "number": number,
        "sys_id": "9d385017c611228701d22104cc95c371",
        "short_description": "VPN drops every hour",
        "caller_id": "5137153cc611227c000bbd1bd8cd2007",
        "dv_caller_id": "Carol Customer",
        "state": "7",
        "dv_state": "Closed",
        "priority": "2",
        "category": "network",
        "assigned_to": "46d44a23a9fe19810012d100cca80666",
        "dv_assigned_to": "Person 5",
        "assignment_group": "287ebd7da9fe198100f92cc8d1d2154e",
        "dv_assignment_group": "Network",
        "opened_at": "2026-02-13 14:05:00",
        "resolved_at": "2026-02-14 09:00:00",
        "closed_at": "2026-02-15 09:00:00",
        "reopen_count": "1",
        "work_notes": "",
        "comments": "Customer says thanks",
    }
    record.update(fields)
    return record


def test_a_servicenow_jsonv2_export_imports(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    path = tmp_path / "incident.json"
    path.write_text(
        servicenow_jsonv2(
            [
                incident("INC0010001"),
                incident("INC0010002", state="2", resolved_at="", closed_at="", reopen_count="0"),
            ]
        ),
        encoding="utf-8",
    )
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0, output
    assert "2 rows read" in output and "ServiceNow JSONv2" in output
    items = work_items(db_url)
    one, two = items["INC0010001"], items["INC0010002"]
    assert one.id != two.id and one.source == "servicenow" and one.kind == "ticket"
    assert one.created_at == dt.datetime(2026, 2, 13, 14, 5)
    assert one.resolved_at == dt.datetime(2026, 2, 14, 9, 0)
    assert (one.status_category, two.status_category) == ("done", "in_progress")
    assert one.person_id is not None  # by the display value: the sys_id is no directory name
    (stored,) = rows(
        db_url,
        "select assigned_to, assignment_group from servicenow_incident where number = 'INC0010001'",
    )
    assert tuple(stored) == ("Person 5", "Network")
    raw = [json.loads(line) for line in raw_lines(db_url)]
    assert raw and all("Carol" not in json.dumps(r) and "caller_id" not in r for r in raw)
    # the same export again replaces exactly
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0 and len(work_items(db_url)) == 2


def test_a_bad_servicenow_json_names_record_and_field_and_writes_nothing(
    db_url: str, tmp_path: Path
):
    before = census(db_url)
    path = tmp_path / "incident.json"
    path.write_text(
        servicenow_jsonv2([incident("INC1"), incident("INC2", opened_at="yesterday")]),
        encoding="utf-8",
    )
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 2, output
    assert "incident.json" in output and "row 2" in output and "opened_at" in output
    other = tmp_path / "result.json"
    other.write_text(json.dumps({"result": [incident("INC1")]}), encoding="utf-8")
    code, output = invoke("import", "tickets", str(other), "--db", db_url)
    assert code == 2 and "ServiceNow JSONv2" in output and '"records"' in output
    assert census(db_url) == before


ZENDESK_EXPLORE = """\
Ticket ID,Ticket status,Ticket type,Ticket priority,Ticket group,Assignee name,Ticket created - Timestamp,Ticket solved - Timestamp,Requester name,Ticket subject,Reopens,Replies
4711,Solved,Incident,High,Support,Person 5,2026-02-13T14:05:00,2026-02-14T09:00:00,Carol Customer,Refund for order 99,1,3
4712,Open,Question,Normal,Support,Person 5,2026-02-20T08:00:00,,Dan Customer,Where is my parcel,0,1
"""


def test_a_zendesk_explore_csv_imports(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    path = write(tmp_path / "Explore - tickets.csv", ZENDESK_EXPLORE)
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0, output
    assert "2 rows read" in output and "Zendesk" in output
    items = work_items(db_url)
    solved, open_ = items["4711"], items["4712"]
    assert solved.created_at == dt.datetime(2026, 2, 13, 14, 5)
    assert solved.resolved_at == dt.datetime(2026, 2, 14, 9, 0)
    assert (solved.status_category, open_.status_category) == ("done", "in_progress")
    assert solved.reopen_count == 1 and solved.person_id is not None
    assert solved.item_type == "Incident"
    raw = " ".join(raw_lines(db_url))
    assert "Carol" not in raw and "Refund" not in raw


def test_a_ticket_export_without_its_reopen_column_says_what_will_lack_data(
    db_url: str, tmp_path: Path
):
    path = write(
        tmp_path / "explore.csv",
        """Ticket ID,Ticket status,Ticket created - Date,Assignee name
1,Open,2026-02-13,Person 5
""",
    )
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0, output
    assert "warning: the export has no Reopens column: reopen rate" in output
    assert "no Solved at column" in output and '"not enough data"' in output


def test_a_large_excel_saved_export_parsed_in_a_second_process(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The child process learns the day/month order and reads Windows-1252 as this one does."""
    import gaplens.imports.parallel as parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    lines = [f"Größe {n};PAY-{n};Done;Person 1;3/4/2026 9:00;;S1;1,5" for n in range(1, 6001)]
    lines.append("last;PAY-9999;Done;Person 1;12/31/2026 23:59;;S1;2")
    path = write(
        tmp_path / "big.csv", JIRA_HEADER.replace(",", ";") + "\n" + "\n".join(lines), "cp1252"
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    assert len(items) == 6001
    assert items["PAY-1"].created_at == dt.datetime(2026, 3, 4, 9, 0)
    assert items["PAY-6000"].story_points == 1.5
    (summary,) = rows(db_url, "select summary from jira_issue where key = 'PAY-7'")
    assert summary[0] == "Größe 7"


def test_a_jira_csv_with_columns_in_another_language_is_refused_saying_why(
    db_url: str, tmp_path: Path
):
    path = write(
        tmp_path / "jira-de-header.csv",
        "Zusammenfassung;Vorgangsschlüssel;Status;Erstellt\nx;PAY-1;Fertig;13/Mär/26 14:05\n",
        "cp1252",
    )
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 2, output
    assert "jira-de-header.csv" in output and "row 1" in output
    assert "English column names" in output and "profile language" in output
