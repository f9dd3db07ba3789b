"""`gaplens import m365-copilot` end to end, CSV and JSON, on both databases."""

from __future__ import annotations

import csv
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
        "row 1",  # one line holding the whole page: the user is named by its place in it
        "column 'value[0].wordCopilotLastActivityDate'",
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


ADMIN_APPS = (
    ("Microsoft Teams Copilot", "teams"),
    ("Word Copilot", "word"),
    ("Excel Copilot", "excel"),
    ("PowerPoint Copilot", "powerpoint"),
    ("Outlook Copilot", "outlook"),
    ("OneNote Copilot", "onenote"),
    ("Loop Copilot", "loop"),
    ("Copilot Chat", "copilot_chat"),
)


def write_admin_centre_csv(path: Path, users: list[dict[str, str]], utc: bool) -> Path:
    """The admin centre's "Export" of the Copilot usage user details: its own column names,
    prompts and active days, and no refresh-date column (UTF-8 with BOM, CRLF)."""
    suffix = " (UTC)" if utc else ""
    header = [
        "User name" if utc else "Username",
        "Display name",
        "Prompts submitted",
        "Active days",
        f"Last activity date{suffix}" if utc else "Last activity date (UTC)",
        *(f"Last activity date of {name}{suffix}" for name, _ in ADMIN_APPS),
        "Last activity date of Microsoft 365 Copilot",
        "Report period",
    ]
    lines = [header] + [
        [
            user["upn"],
            user["upn"].split("@")[0].title(),
            user.get("prompts", ""),
            user.get("days", ""),
            user["last"],
            *(user.get(app, "") for _, app in ADMIN_APPS),
            user["last"],
            "30",
        ]
        for user in users
    ]
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(lines)
    return path


@pytest.mark.parametrize("utc", [True, False], ids=["user-name-utc", "username"])
def test_the_admin_centre_download_is_read(db_url: str, tmp_path: Path, utc: bool):
    directory(db_url, tmp_path)
    users = [
        {
            "upn": "Person1@acme.example",
            "last": "2026-10-30",
            "teams": "2026-10-30",
            "copilot_chat": "2026-10-12",
            "prompts": "41",
            "days": "9",
        },
        {"upn": "person2@acme.example", "last": "2026-10-31", "word": "2026-10-31"},
        {"upn": "person3@acme.example", "last": ""},
    ]
    export = write_admin_centre_csv(tmp_path / "Copilot usage details.csv", users, utc)
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    said = " ".join(output.split())
    assert code == 0, output
    assert "admin-centre CSV user detail" in said and "3 rows read" in said
    assert (
        "warning: Copilot usage details.csv has no 'Report refresh date' column: the snapshot "
        "is dated 2026-10-31" in said
    )
    assert usage(db_url) == [
        ("person1@acme.example", "2026-10-12", "copilot_chat"),
        ("person1@acme.example", "2026-10-30", "any"),
        ("person1@acme.example", "2026-10-30", "teams"),
        ("person2@acme.example", "2026-10-31", "any"),
        ("person2@acme.example", "2026-10-31", "word"),
    ]
    refreshed = rows(db_url, "select distinct refresh_date from m365_usage_snapshot")
    assert [str(day) for (day,) in refreshed] == ["2026-10-31"]
    periods = rows(
        db_url,
        "select upn, period_days, prompts, active_days from m365_usage_period order by upn",
    )
    assert periods == [
        ("person1@acme.example", 30, 41, 9),
        ("person2@acme.example", 30, None, None),
        ("person3@acme.example", 30, None, None),
    ]


def graph_user(upn: str, last: str, **extra: object) -> dict[str, object]:
    """A user of the Graph JSON report (`getMicrosoft365CopilotUsageUserDetail`)."""
    user: dict[str, object] = {
        "reportRefreshDate": "2026-11-01",
        "userPrincipalName": upn,
        "displayName": upn.split("@")[0].title(),
        "lastActivityDate": last,
        "copilotChatLastActivityDate": last,
        "microsoftTeamsCopilotLastActivityDate": "",
        "wordCopilotLastActivityDate": "",
        "excelCopilotLastActivityDate": "",
        "powerPointCopilotLastActivityDate": "",
        "outlookCopilotLastActivityDate": "",
        "oneNoteCopilotLastActivityDate": "",
        "loopCopilotLastActivityDate": "",
        "copilotActivityUserDetailsByPeriod": [{"reportPeriod": 7}],
    }
    user.update(extra)
    return user


def graph_page(users: list[dict[str, object]], next_link: bool) -> dict[str, object]:
    page: dict[str, object] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.copilotUsageUserDetail)",
        "value": users,
    }
    if next_link:
        page["@odata.nextLink"] = (
            "https://graph.microsoft.com/v1.0/copilot/reports/getMicrosoft365CopilotUsageUserDetail"
            "(period='ALL')?$skiptoken=MDoyOjE"
        )
    return page


def by_period(days: int, prompts: int, work: int, web: int, active: int) -> dict[str, int]:
    return {
        "reportPeriod": days,
        "promptsSubmitted": prompts,
        "copilotChatWorkPromptsSubmitted": work,
        "copilotChatWebPromptsSubmitted": web,
        "activeUsageDays": active,
    }


def test_period_all_keeps_prompts_and_active_days_per_period(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    periods = [
        by_period(7, 12, 4, 1, 3),
        by_period(30, 40, 10, 2, 11),
        by_period(90, 95, 30, 5, 28),
        by_period(180, 160, 44, 9, 51),
    ]
    user = graph_user(
        "person1@acme.example", "2026-10-31", copilotActivityUserDetailsByPeriod=periods
    )
    export = tmp_path / "period-all.json"
    export.write_text(json.dumps(graph_page([user], next_link=False), indent=2))
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    assert code == 0, output
    assert "4 user-periods of prompt and active-day counts" in " ".join(output.split())
    found = rows(
        db_url,
        "select period_days, prompts, chat_work_prompts, chat_web_prompts, active_days "
        "from m365_usage_period order by period_days",
    )
    assert found == [
        (7, 12, 4, 1, 3),
        (30, 40, 10, 2, 11),
        (90, 95, 30, 5, 28),
        (180, 160, 44, 9, 51),
    ]
    # A count that is not one is located by user and field
    periods[2]["activeUsageDays"] = -4
    export.write_text(json.dumps(graph_page([user], next_link=False), indent=2))
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    said = " ".join(output.split())
    assert code == 2
    assert (
        "period-all.json, row 4, column 'copilotActivityUserDetailsByPeriod[2].activeUsageDays'"
        in said
    )
    assert "-4 is not a whole number of at least 0" in said


def test_a_page_with_a_next_link_is_said_to_be_incomplete(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    page = graph_page([graph_user("person1@acme.example", "2026-10-31")], next_link=True)
    export = tmp_path / "page-1.json"
    export.write_text(json.dumps(page, indent=2))
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    said = " ".join(output.split())
    assert code == 0, output
    assert "warning: page-1.json is incomplete: it is one page of a paged Graph response" in said
    assert usage(db_url) == [
        ("person1@acme.example", "2026-10-31", "any"),
        ("person1@acme.example", "2026-10-31", "copilot_chat"),
    ]


def test_every_page_as_json_lines_is_read_and_only_a_missing_last_page_warns(
    db_url: str, tmp_path: Path
):
    directory(db_url, tmp_path)
    pages = [
        graph_page([graph_user("person1@acme.example", "2026-10-31")], next_link=True),
        graph_page(
            [
                graph_user("person2@acme.example", "2026-10-29"),
                graph_user("person3@acme.example", "2026-10-30"),
            ],
            next_link=False,
        ),
    ]
    export = tmp_path / "all-pages.jsonl"
    export.write_text("".join(json.dumps(page) + "\n" for page in pages))
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    said = " ".join(output.split())
    assert code == 0, output
    assert "3 rows read" in said and "2 pages of JSON lines of pages user detail" in said
    assert "warning" not in said
    assert [u[0] for u in usage(db_url) if u[2] == "any"] == [
        "person1@acme.example",
        "person2@acme.example",
        "person3@acme.example",
    ]
    assert rows(db_url, "select source_row from m365_usage_snapshot order by upn") == [
        (1,),
        (2,),
        (3,),
    ]
    # The same pages without the last one: the file stops at a nextLink
    cut = tmp_path / "first-page-only.jsonl"
    cut.write_text(json.dumps(pages[0]) + "\n")
    code, output = invoke("import", "m365-copilot", str(cut), "--db", db_url)
    assert code == 0 and "warning: first-page-only.jsonl is incomplete" in " ".join(output.split())
    # ... and a page with a bad date names the line and the user in it
    pages[1]["value"][1]["wordCopilotLastActivityDate"] = "31/10/2026"  # type: ignore[index]
    export.write_text("".join(json.dumps(page) + "\n" for page in pages))
    code, output = invoke("import", "m365-copilot", str(export), "--db", db_url)
    said = " ".join(output.split())
    assert code == 2
    assert "all-pages.jsonl, row 2, column 'value[1].wordCopilotLastActivityDate'" in said


def test_a_later_snapshot_writes_only_the_days_it_adds(db_url: str, tmp_path: Path):
    """The rebuild writes the difference: rows an earlier snapshot gave keep that import's
    run, the new days are the new run's; a corrected snapshot rewrites its person's rows."""
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
                "2026-11-02",
                "2026-11-02",
                {"teams": "2026-10-30", "word": "2026-11-02"},
            )
        ],
    )

    def by_run() -> list[tuple[str, str, int]]:
        found = rows(
            db_url,
            "select u.day, u.app, r.source_name from ai_usage_day u "
            "join import_run r on r.id = u.import_run_id "
            "where u.tool = 'm365-copilot' order by u.day, u.app",
        )
        return [(str(d), str(a), str(s)) for d, a, s in found]  # type: ignore[misc]

    for export in (first, second):
        assert invoke("import", "m365-copilot", str(export), "--db", db_url)[0] == 0
    assert by_run() == [
        ("2026-10-30", "any", "a.csv"),
        ("2026-10-30", "teams", "a.csv"),
        ("2026-11-02", "any", "b.csv"),
        ("2026-11-02", "word", "b.csv"),
    ]
    corrected = write_m365_csv(
        tmp_path / "a2.csv",
        [m365_user("person1@acme.example", "2026-11-01", "2026-10-29", {"teams": "2026-10-29"})],
    )
    assert invoke("import", "m365-copilot", str(corrected), "--db", db_url)[0] == 0
    assert by_run() == [
        ("2026-10-29", "any", "a2.csv"),
        ("2026-10-29", "teams", "a2.csv"),
        ("2026-10-30", "teams", "a2.csv"),  # still said by b.csv; the person's rows rewritten
        ("2026-11-02", "any", "a2.csv"),
        ("2026-11-02", "word", "a2.csv"),
    ]
