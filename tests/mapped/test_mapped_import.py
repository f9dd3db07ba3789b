"""`gaplens import csv` with a mapping: work items, AI usage and training, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.work.service import work_item_id
from tests.files import write_csv
from tests.work.samples import census, rows, setup_directory, work_items

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


LINEAR = """
target = "work_items"
source = "linear"
identity = "email"

[columns]
key = "ID"
status = "Status"
created_at = "Created"
started_at = "Started"
resolved_at = "Completed"
person = "Assignee"
story_points = "Estimate"
sprint = "Cycle"

[formats]
created_at = "%d.%m.%Y %H:%M"

[values]
"Triage" = "todo"
"Shipped" = "done"
"""


def test_mapped_work_items(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    mapping = tmp_path / "linear.toml"
    mapping.write_text(LINEAR)
    data = write_csv(
        tmp_path / "linear.csv",
        [
            {
                "ID": "LIN-1",
                "Status": "Shipped",
                "Created": "01.02.2025 10:00",
                "Started": "2025-02-02T09:00:00Z",
                "Completed": "2025-02-04 10:00",
                "Assignee": "PERSON1@acme.example",
                "Estimate": "3",
                "Cycle": "Cycle 4",
                "Title": "secret",
            },
            {
                "ID": "LIN-2",
                "Status": "Triage",
                "Created": "02.02.2025 11:30",
                "Started": "",
                "Completed": "",
                "Assignee": "someone@else.example",
                "Estimate": "",
                "Cycle": "",
                "Title": "",
            },
        ],
    )
    code, output = invoke("import", "csv", str(data), "--mapping", str(mapping), "--db", db_url)
    assert code == 0, output
    assert "someone@else.example" in output
    items = work_items(db_url)
    one = items["LIN-1"]
    assert one.id == work_item_id("linear", "LIN-1") and one.source == "linear"
    assert one.status_category == "done" and one.person_id and one.team_id
    assert one.created_at == dt.datetime(2025, 2, 1, 10, 0)
    assert one.started_at == dt.datetime(2025, 2, 2, 9, 0) and one.story_points == 3.0
    assert items["LIN-2"].status_category == "todo" and items["LIN-2"].person_id is None
    before = census(db_url)
    assert invoke("import", "csv", str(data), "--mapping", str(mapping), "--db", db_url)[0] == 0
    after = census(db_url)
    assert after["work_item"] == before["work_item"] == 2
    assert after["import_run"] == before["import_run"] + 1


def test_mapped_ai_usage_and_training(db_url: str, tmp_path: Path):
    setup_directory(db_url, tmp_path)
    usage_map = tmp_path / "cursor.toml"
    usage_map.write_text(
        'target = "ai_usage"\nsource = "cursor"\nidentity = "github"\n'
        '[columns]\nperson = "login"\nday = "date"\ninteractions = "requests"\nloc_added = "lines"\n'
    )
    usage = write_csv(
        tmp_path / "cursor.csv",
        [
            {"login": "gh-person1", "date": "2025-02-03", "requests": "12", "lines": "40"},
            {"login": "gh-person2", "date": "2025-02-03", "requests": "0", "lines": ""},
            {"login": "gh-stranger", "date": "2025-02-03", "requests": "5", "lines": "1"},
        ],
    )
    code, output = invoke("import", "csv", str(usage), "--mapping", str(usage_map), "--db", db_url)
    assert code == 0, output
    assert "gh-stranger" in output and "2 written" in output
    days = rows(
        db_url, "select tool, app, interactions, loc_added from ai_usage_day order by interactions"
    )
    assert [tuple(d) for d in days] == [("cursor", "any", 0, None), ("cursor", "any", 12, 40)]
    assert invoke("import", "csv", str(usage), "--mapping", str(usage_map), "--db", db_url)[0] == 0
    assert census(db_url)["ai_usage_day"] == 2

    training_map = tmp_path / "lms.toml"
    training_map.write_text(
        'target = "training"\nsource = "lms"\n[columns]\nperson = "Email"\nname = "Course"\n'
        'completed_on = "Completed"\nkind = "Type"\n[formats]\ncompleted_on = "%m/%d/%Y"\n'
    )
    training = write_csv(
        tmp_path / "lms.csv",
        [
            {
                "Email": "person3@acme.example",
                "Course": "Prompting 101",
                "Completed": "02/28/2025",
                "Type": "certification",
            }
        ],
    )
    code, output = invoke(
        "import", "csv", str(training), "--mapping", str(training_map), "--db", db_url
    )
    assert code == 0, output
    (record,) = rows(db_url, "select kind, name from training_record")
    assert tuple(record) == ("certification", "Prompting 101")


def test_mapping_and_row_errors_write_nothing(db_url: str, tmp_path: Path):
    mapping = tmp_path / "linear.toml"
    mapping.write_text(LINEAR.replace('target = "work_items"', 'target = "tickets"'))
    data = write_csv(
        tmp_path / "linear.csv",
        [
            {
                "ID": "1",
                "Status": "x",
                "Created": "01.02.2025 10:00",
                "Started": "",
                "Completed": "",
                "Assignee": "",
                "Estimate": "",
                "Cycle": "",
            }
        ],
    )
    before = census(db_url)
    code, output = invoke("import", "csv", str(data), "--mapping", str(mapping), "--db", db_url)
    assert code == 2 and "linear.toml" in output and "'target'" in output
    mapping.write_text(LINEAR)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            {
                "ID": "1",
                "Status": "x",
                "Created": "2025-02-01 10:00",
                "Started": "",
                "Completed": "",
                "Assignee": "",
                "Estimate": "",
                "Cycle": "",
            }
        ],
    )
    code, output = invoke("import", "csv", str(bad), "--mapping", str(mapping), "--db", db_url)
    assert code == 2 and "bad.csv, row 2, column 'Created'" in " ".join(output.split())
    assert census(db_url) == before


def test_people_named_by_display_name_and_shared_names_refused(db_url: str, tmp_path: Path):
    from tests.files import TEAMS, person

    staff = [person(n) for n in range(4)]
    staff[3]["name"] = "Person 2"  # two people called Person 2
    for kind, path in (
        ("teams", write_csv(tmp_path / "teams.csv", TEAMS)),
        ("people", write_csv(tmp_path / "people.csv", staff)),
    ):
        assert invoke("import", kind, str(path), "--db", db_url)[0] == 0
    mapping = tmp_path / "sheet.toml"
    mapping.write_text(
        'target = "work_items"\nsource = "sheet"\nidentity = "name"\n'
        '[columns]\nkey = "Key"\nstatus = "Status"\ncreated_at = "Created"\nperson = "Owner"\n'
    )
    good = write_csv(
        tmp_path / "sheet.csv",
        [
            {"Key": "S-1", "Status": "Done", "Created": "2026-02-13", "Owner": "person 1 "},
            {"Key": "S-2", "Status": "Done", "Created": "2026-02-13", "Owner": "Someone Else"},
        ],
    )
    code, output = invoke("import", "csv", str(good), "--mapping", str(mapping), "--db", db_url)
    assert code == 0, output
    items = work_items(db_url)
    (first,) = rows(db_url, "select id from person where email = 'person1@acme.example'")
    assert items["S-1"].person_id == first[0]
    assert items["S-2"].person_id is None and "Someone Else" in output

    before = census(db_url)
    shared = write_csv(
        tmp_path / "shared.csv",
        [
            {"Key": "S-3", "Status": "Done", "Created": "2026-02-13", "Owner": "Person 1"},
            {"Key": "S-4", "Status": "Done", "Created": "2026-02-13", "Owner": "Person 2"},
        ],
    )
    code, output = invoke("import", "csv", str(shared), "--mapping", str(mapping), "--db", db_url)
    assert code == 2, output
    assert "shared.csv" in output and "row 3" in output and "Owner" in output
    assert "display name of 2 people" in output and "row 2" not in output
    assert census(db_url) == before
