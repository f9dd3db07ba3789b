"""`gaplens import m365-copilot` end to end, CSV and JSON, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaplens.db.engine import session_scope
from gaplens.imports.raw import read_raw_row
from tests.telemetry.helpers import counts, directory, invoke, rows
from tests.telemetry.payloads import m365_user, write_m365_csv, write_m365_json

WRITERS = {"csv": write_m365_csv, "json": write_m365_json}


def usage(url: str) -> list[tuple[str, str, str]]:
    found = rows(
        url,
        "select p.email, u.day, u.app from ai_usage_day u join person p on p.id = u.person_id "
        "where u.tool = 'm365-copilot' order by p.email, u.day, u.app",
    )
    return [(str(e), str(d), str(a)) for e, d, a in found]


@pytest.mark.parametrize("form", sorted(WRITERS))
def test_export_becomes_one_row_per_app_with_a_date(db_url: str, tmp_path: Path, form: str):
    directory(db_url, tmp_path)
    users = [
        m365_user(
            "Person1@acme.example",
            "2026-11-01",
            "2026-10-30",
            {"teams": "2026-10-30", "word": "2026-10-20"},
        ),
        m365_user("person2@acme.example", "2026-11-01", "", {}),
    ]
    export = WRITERS[form](tmp_path / f"CopilotUsageUserDetail.{form}", users)
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    assert code == 0, output
    assert "2 rows read" in output and "3 person-app-days" in output
    assert usage(db_url) == [
        ("person1@acme.example", "2026-10-20", "word"),
        ("person1@acme.example", "2026-10-30", "any"),
        ("person1@acme.example", "2026-10-30", "teams"),
    ]
    assert counts(db_url)["m365_usage_snapshot"] == 2
    snapshot = rows(
        db_url, "select upn, display_name, word, excel from m365_usage_snapshot order by upn"
    )
    assert next(tuple(map(str, r)) for r in snapshot) == (
        "person1@acme.example",
        "Person1",
        "2026-10-20",
        "None",
    )
    run_id, source_row = rows(
        db_url,
        "select import_run_id, source_row from m365_usage_snapshot where upn = 'person1@acme.example'",
    )[0]
    with session_scope(db_url) as session:
        raw = read_raw_row(session, int(str(run_id)), int(str(source_row)))
    assert raw is not None and "person1@acme.example" in raw.lower()


def test_successive_exports_build_history_and_reimport_is_exact(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    first = write_m365_csv(
        tmp_path / "a.csv",
        [m365_user("person1@acme.example", "2026-11-01", "2026-10-30", {"teams": "2026-10-30"})],
    )
    second = write_m365_csv(
        tmp_path / "b.csv",
        [
            m365_user(
                "person1@acme.example",
                "2026-11-08",
                "2026-11-05",
                {"teams": "2026-10-30", "excel": "2026-11-05"},
            )
        ],
    )
    for export in (first, second, first):
        assert invoke("import", "m365-copilot", str(export), "--db", db_url)[0] == 0
    assert usage(db_url) == [
        ("person1@acme.example", "2026-10-30", "any"),
        ("person1@acme.example", "2026-10-30", "teams"),
        ("person1@acme.example", "2026-11-05", "any"),
        ("person1@acme.example", "2026-11-05", "excel"),
    ]
    corrected = write_m365_csv(
        tmp_path / "a2.csv",
        [m365_user("person1@acme.example", "2026-11-01", "2026-10-29", {"teams": "2026-10-29"})],
    )
    assert invoke("import", "m365-copilot", str(corrected), "--db", db_url)[0] == 0
    assert ("person1@acme.example", "2026-10-30", "teams") in usage(db_url)  # still said by b.csv
    assert ("person1@acme.example", "2026-10-30", "any") not in usage(db_url)
    assert counts(db_url)["m365_usage_snapshot"] == 2


def test_unresolved_upns_are_reported_then_resolved(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path, range(1))
    export = write_m365_csv(
        tmp_path / "m.csv",
        [m365_user("person3@acme.example", "2026-11-01", "2026-10-30", {"word": "2026-10-30"})],
    )
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    assert (
        code == 0
        and "1 rows name someone not in the directory" in output
        and "person3@acme.example" in output
    )
    assert usage(db_url) == []
    directory(db_url, tmp_path, range(5))
    assert invoke("import", "m365-copilot", str(export), "--db", db_url)[0] == 0
    assert len(usage(db_url)) == 2


BAD = {
    "bad-date": (
        "csv",
        lambda p: write_m365_csv(p, [m365_user("a@b.c", "2026-11-01", "30/10/2026", {})]),
        "row 2",
        "column 'Last Activity Date'",
    ),
    "no-upn": (
        "csv",
        lambda p: write_m365_csv(p, [m365_user("", "2026-11-01", "", {})]),
        "row 2",
        "column 'User Principal Name'",
    ),
    "json-bad-date": (
        "json",
        lambda p: write_m365_json(p, [m365_user("a@b.c", "2026-11-01", "", {"word": "soon"})]),
        "row 1",
        "column 'wordCopilotLastActivityDate'",
    ),
    "truncated-json": (
        "json",
        lambda p: p.write_text(
            json.dumps(
                {"value": [{"reportRefreshDate": "2026-11-01", "userPrincipalName": "a@b.c"}]}
            )[:-10]
        ),
        "row 1",
        "truncated",
    ),
    "copilot-file": (
        "json",
        lambda p: p.write_text(json.dumps({"day": "2026-10-01", "user_login": "x"}) + "\n"),
        "row 1",
        "no 'value' list",
    ),
    "jira-csv": (
        "csv",
        lambda p: p.write_text("Issue key,Summary\nPAY-1,Fix\n"),
        "row 1",
        "none of the required columns",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_and_writes_nothing(db_url: str, tmp_path: Path, case: str):
    form, write, where, what = BAD[case]
    export = tmp_path / f"{case}.{form}"
    write(export)
    before = counts(db_url)
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    flat = " ".join(output.split())
    assert code == 2, flat
    assert export.name in flat and where in flat and what in flat, flat
    assert counts(db_url) == before
