"""`gaplens import copilot-usage` end to end: real files, the real CLI, both databases."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.imports.raw import read_raw_row
from gaplens.telemetry.service import import_copilot_usage
from tests.files import write_csv
from tests.telemetry.helpers import counts, directory, invoke, rows
from tests.telemetry.payloads import (
    LEGACY_ACCEPTANCES,
    LEGACY_LINES_ACCEPTED,
    LEGACY_LINES_SUGGESTED,
    LEGACY_SUGGESTIONS,
    cli_totals,
    enterprise_report,
    legacy_day,
    quiet_day,
    user_day,
    user_team,
    write_ndjson,
)


def user_report(path: Path, logins: list[str], days: list[str], n: int = 1) -> Path:
    return write_ndjson(path, [user_day(login, day, n) for day in days for login in logins])


def test_user_report_imports_tool_and_domain_rows(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    export = user_report(
        tmp_path / "users.ndjson", ["gh-person1", "gh-person2"], ["2026-10-01", "2026-10-02"], n=3
    )
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    assert "4 rows read" in output and "usage-metrics user report" in output
    found = counts(db_url)
    # GitHub's example line also has Copilot CLI use: each user-day is an `ide` and a `cli` row
    assert found["copilot_user_day"] == 4 and found["ai_usage_day"] == 8
    assert found["import_run"] == 3  # teams, people, this
    usage = rows(
        db_url,
        "select p.email, u.day, u.tool, u.app, u.interactions, u.suggestions, u.acceptances, "
        "u.loc_suggested, u.loc_added from ai_usage_day u join person p on p.id = u.person_id "
        "order by p.email, u.day, u.app desc",
    )
    assert next(tuple(map(str, r)) for r in usage) == (
        "person1@acme.example",
        "2026-10-01",
        "github-copilot",
        "ide",
        "9",
        "6",
        "3",
        "30",
        "24",
    )
    features = rows(db_url, "select features, used_agent, used_chat, user_id from copilot_user_day")
    assert json.loads(str(features[0][0])) == {
        "code_completion": {
            "generations": 6,
            "acceptances": 3,
            "loc_suggested": 30,
            "loc_added": 24,
        },
        "chat_panel_ask_mode": {"interactions": 9},
    }
    assert not features[0][1] and features[0][2]
    # ... and parsed once into feature rows, the counts the scorecard sums
    assert found["copilot_user_day_feature"] == 8  # 4 user-days x 2 features
    parsed = rows(
        db_url,
        "select feature, interactions, generations, acceptances, loc_suggested, loc_added "
        "from copilot_user_day_feature where user_login = 'gh-person1' and day = '2026-10-01' "
        "order by feature",
    )
    assert [tuple(r) for r in parsed] == [
        ("chat_panel_ask_mode", 9, 0, 0, 0, 0),
        ("code_completion", 0, 6, 3, 30, 24),
    ]


ZERO_FEATURE = {
    "code_acceptance_activity_count": 0,
    "code_generation_activity_count": 0,
    "feature": "code_completion",
    "loc_added_sum": 0,
    "loc_deleted_sum": 0,
    "loc_suggested_to_add_sum": 0,
    "loc_suggested_to_delete_sum": 0,
    "user_initiated_interaction_count": 0,
}


def write_lines(path: Path, lines: list[dict[str, object]], as_list: bool) -> Path:
    """NDJSON (the download, read by the fast decoder) or a JSON list (the general path)."""
    if as_list:
        path.write_text(json.dumps(lines, indent=2))
        return path
    return write_ndjson(path, lines)


@pytest.mark.parametrize("as_list", [False, True], ids=["ndjson", "json-list"])
def test_cli_only_and_passive_review_only_days(db_url: str, tmp_path: Path, as_list: bool):
    """A day of Copilot CLI use only keeps its CLI counts and is a day of use (app `cli`, not
    `ide`); a day whose only activity is a code review a repository policy ran on the user's
    pull request is kept in the tool table but is not their use; an active review is."""
    directory(db_url, tmp_path)
    lines = [
        quiet_day("gh-person1", "2026-10-01", used_cli=True, totals_by_cli=cli_totals(3, 7, 5)),
        quiet_day(
            "gh-person2",
            "2026-10-01",
            used_copilot_code_review_passive=True,
            totals_by_feature=[ZERO_FEATURE],  # listed, but nothing counted
        ),
        quiet_day(
            "gh-person3",
            "2026-10-01",
            used_copilot_code_review_active=True,
            used_copilot_code_review_passive=True,
        ),
        user_day("gh-person4", "2026-10-01"),
    ]
    export = write_lines(tmp_path / "users.json", lines, as_list)
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    said = " ".join(output.split())
    assert "(2 with Copilot CLI use)" in said
    assert "1 user-days whose only activity was a Copilot code review run automatically" in said
    tool = rows(
        db_url,
        "select user_login, cli_sessions, cli_requests, cli_prompts, code_review "
        "from copilot_user_day order by user_login",
    )
    assert tool == [
        ("gh-person1", 3, 7, 5, None),
        ("gh-person2", None, None, None, "passive"),
        ("gh-person3", None, None, None, "active"),
        ("gh-person4", 2, 2, 2, None),
    ]
    usage = rows(
        db_url,
        "select p.email, u.app, u.interactions, u.suggestions from ai_usage_day u "
        "join person p on p.id = u.person_id order by p.email, u.app",
    )
    assert usage == [
        ("person1@acme.example", "cli", 5, None),
        ("person3@acme.example", "ide", 0, 0),
        ("person4@acme.example", "cli", 2, None),
        ("person4@acme.example", "ide", 3, 2),
    ]


def test_a_later_export_finding_a_day_was_passive_review_drops_its_use(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    first = write_ndjson(tmp_path / "a.ndjson", [user_day("gh-person1", "2026-10-01")])
    assert invoke("import", "copilot-usage", str(first), "--db", db_url)[0] == 0
    assert counts(db_url)["ai_usage_day"] == 2
    again = write_ndjson(
        tmp_path / "b.ndjson",
        [quiet_day("gh-person1", "2026-10-01", used_copilot_code_review_passive=True)],
    )
    code, output = invoke("import", "copilot-usage", str(again), "--db", db_url)
    assert code == 0, output
    # The earlier export's `cli` row stays (a later export replaces only what it names)
    assert rows(db_url, "select app from ai_usage_day") == [("cli",)]


def test_the_user_teams_report_is_refused_and_leaves_usage_alone(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    usage = write_ndjson(tmp_path / "users-1-day.ndjson", [user_day("gh-person1", "2026-10-01")])
    assert invoke("import", "copilot-usage", str(usage), "--db", db_url)[0] == 0
    before = rows(db_url, "select * from copilot_user_day")
    teams = write_ndjson(
        tmp_path / "user-teams-1-day.ndjson",
        [
            user_team("gh-person1", "2026-10-01", "payments"),
            user_team("gh-person1", "2026-10-01", "platform"),
        ],
    )
    code, output = invoke("import", "copilot-usage", str(teams), "--db", db_url)
    said = " ".join(output.split())
    assert code == 2, output
    assert "user-teams-1-day.ndjson, row 1" in said
    assert "this is the Copilot user-teams report" in said and "gaplens import people" in said
    assert rows(db_url, "select * from copilot_user_day") == before
    # ... and a user-teams row slipped into a usage file is located, not read as usage
    mixed = write_ndjson(
        tmp_path / "mixed.ndjson",
        [user_day("gh-person2", "2026-10-01"), user_team("gh-person1", "2026-10-01", "payments")],
    )
    code, output = invoke("import", "copilot-usage", str(mixed), "--db", db_url)
    said = " ".join(output.split())
    assert code == 2 and "mixed.ndjson, row 2, column 'team_slug'" in said, output
    assert rows(db_url, "select * from copilot_user_day") == before


def test_reimport_is_idempotent_and_raw_rows_read_back(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    export = user_report(
        tmp_path / "users.ndjson", ["gh-person1", "gh-person3"], ["2026-10-01", "2026-10-02"]
    )
    assert invoke("import", "copilot-usage", str(export), "--db", db_url)[0] == 0
    first = rows(db_url, "select * from ai_usage_day order by person_id, day, app")
    before = counts(db_url)
    assert invoke("import", "copilot-usage", str(export), "--db", db_url)[0] == 0
    after = counts(db_url)
    assert after["ai_usage_day"] == before["ai_usage_day"] == 8  # an ide and a cli row each
    assert after["copilot_user_day"] == 4
    assert after["import_run"] == before["import_run"] + 1
    second = rows(db_url, "select * from ai_usage_day order by person_id, day, app")
    strip_run = [r[:-1] for r in first]
    assert [r[:-1] for r in second] == strip_run
    run_id = int(rows(db_url, "select max(id) from import_run")[0][0])  # type: ignore[call-overload]
    assert (
        int(
            rows(db_url, "select count(*) from raw_chunk where import_run_id < " + str(run_id))[0][
                0
            ]
        )
        == 0
    )  # type: ignore[call-overload]
    with session_scope(db_url) as session:
        line = read_raw_row(session, run_id, 3)
    assert line is not None and json.loads(line)["user_login"] == "gh-person1"
    assert json.loads(line)["day"] == "2026-10-02"


def test_later_overlapping_export_replaces_exactly(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    early = user_report(tmp_path / "a.ndjson", ["gh-person1"], ["2026-10-01", "2026-10-02"], n=1)
    late = user_report(tmp_path / "b.ndjson", ["gh-person1"], ["2026-10-02", "2026-10-03"], n=5)
    assert invoke("import", "copilot-usage", str(early), "--db", db_url)[0] == 0
    assert invoke("import", "copilot-usage", str(late), "--db", db_url)[0] == 0
    found = rows(db_url, "select day, acceptances from ai_usage_day where app = 'ide' order by day")
    assert [(str(d), a) for d, a in found] == [
        ("2026-10-01", 1),
        ("2026-10-02", 5),
        ("2026-10-03", 5),
    ]
    assert counts(db_url)["copilot_user_day"] == 3
    assert counts(db_url)["copilot_user_day_feature"] == 6


def test_a_user_day_imported_again_replaces_its_features(db_url: str, tmp_path: Path):
    """A later export of the same day that no longer lists a feature drops that feature's
    row; other user-days keep theirs."""
    first = user_report(tmp_path / "a.ndjson", ["gh-person1", "gh-person2"], ["2026-10-01"])
    assert invoke("import", "copilot-usage", str(first), "--db", db_url)[0] == 0
    changed = user_day("gh-person1", "2026-10-01", n=4)
    changed["totals_by_feature"] = [
        {"feature": "agent_edit", "code_generation_activity_count": 5},
        {"feature": "code_completion", "code_generation_activity_count": 7},
    ]
    later = write_ndjson(tmp_path / "b.ndjson", [changed])
    assert invoke("import", "copilot-usage", str(later), "--db", db_url)[0] == 0
    found = rows(
        db_url,
        "select user_login, feature, generations from copilot_user_day_feature "
        "order by user_login, feature",
    )
    assert [tuple(r) for r in found] == [
        ("gh-person1", "agent_edit", 5),
        ("gh-person1", "code_completion", 7),
        ("gh-person2", "chat_panel_ask_mode", 0),
        ("gh-person2", "code_completion", 2),
    ]
    without = user_day("gh-person2", "2026-10-01")
    del without["totals_by_feature"]
    assert invoke("import", "copilot-usage", str(write_ndjson(tmp_path / "c.ndjson", [without])),
                  "--db", db_url)[0] == 0  # fmt: skip
    assert rows(db_url, "select count(*) from copilot_user_day_feature where "
                "user_login = 'gh-person2'")[0][0] == 0  # fmt: skip


def test_a_user_day_repeated_within_one_file_ends_with_its_last_features(
    db_url: str, tmp_path: Path
):
    """Within one import the last line of a user-day wins, features included: in the same
    batch (the earlier line's features are dropped, even for a line with none) and in a later
    batch (the user-day is then upserted, and its features from the earlier batch deleted)."""
    from gaplens.telemetry.service import BATCH_SIZE

    first = user_day("gh-person1", "2026-10-01")
    first["totals_by_feature"] = [{"feature": "agent_edit", "code_generation_activity_count": 5}]
    bare = user_day("gh-person1", "2026-10-01")
    del bare["totals_by_feature"]
    early = user_day("gh-person2", "2026-10-01")  # code_completion and chat_panel_ask_mode
    filler = [user_day(f"gh-filler{i}", "2026-10-02") for i in range(BATCH_SIZE)]
    late = user_day("gh-person2", "2026-10-01", n=3)
    late["totals_by_feature"] = [{"feature": "agent_edit", "code_generation_activity_count": 7}]
    export = write_ndjson(tmp_path / "u.ndjson", [first, bare, early, *filler, late])
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    found = rows(
        db_url,
        "select user_login, feature, generations from copilot_user_day_feature "
        "where user_login in ('gh-person1', 'gh-person2') order by user_login, feature",
    )
    assert [tuple(r) for r in found] == [("gh-person2", "agent_edit", 7)]
    assert counts(db_url)["copilot_user_day_feature"] == 1 + 2 * BATCH_SIZE


def test_feature_names_that_copy_text_would_escape_are_stored_exactly(db_url: str, tmp_path: Path):
    """PostgreSQL gets a batch's feature rows as one block of COPY text unless a text in it
    needs escaping; those batches must still store every name exactly as the export has it."""
    odd = ["tab\there", "back\\slash", "new\nline", "carriage\rreturn"]
    plain = user_day("gh-person1", "2026-10-01")
    tricky = user_day("gh-person2", "2026-10-01")
    tricky["totals_by_feature"] = [
        {"feature": name, "code_generation_activity_count": n + 1} for n, name in enumerate(odd)
    ]
    first = write_ndjson(tmp_path / "a.ndjson", [plain])
    second = write_ndjson(tmp_path / "b.ndjson", [tricky])
    for export in (first, second):
        code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
        assert code == 0, output
    found = rows(
        db_url,
        "select user_login, feature, generations from copilot_user_day_feature "
        "order by user_login, generations",
    )
    assert [tuple(r) for r in found] == [
        ("gh-person1", "chat_panel_ask_mode", 0),
        ("gh-person1", "code_completion", 2),
        ("gh-person2", "tab\there", 1),
        ("gh-person2", "back\\slash", 2),
        ("gh-person2", "new\nline", 3),
        ("gh-person2", "carriage\rreturn", 4),
    ]


def test_unresolved_logins_are_kept_reported_and_resolved_later(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path, range(2))
    export = user_report(
        tmp_path / "users.ndjson", ["gh-person1", "gh-person5", "stranger"], ["2026-10-01"]
    )
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    assert "2 rows name someone not in the directory" in output
    assert "gh-person5" in output and "stranger" in output
    assert counts(db_url)["copilot_user_day"] == 3 and counts(db_url)["ai_usage_day"] == 2
    assert rows(db_url, "select rows_unresolved from import_run order by id desc")[0][0] == 2
    directory(db_url, tmp_path, range(8))
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0 and "1 rows name someone" in output
    assert counts(db_url)["ai_usage_day"] == 4  # an ide and a cli row per user-day


def test_json_list_of_user_days_streams_like_ndjson(db_url: str, tmp_path: Path):
    directory(db_url, tmp_path)
    export = tmp_path / "users.json"
    export.write_text(
        json.dumps(
            [user_day("gh-person1", "2026-10-01"), user_day("gh-person2", "2026-10-01")], indent=2
        )
    )
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    assert counts(db_url)["ai_usage_day"] == 4  # an ide and a cli row per user-day


def test_enterprise_report_imports_org_days(db_url: str, tmp_path: Path):
    days = ["2026-09-29", "2026-09-30", "2026-10-01"]
    ndjson = write_ndjson(tmp_path / "enterprise-28-day.ndjson", [enterprise_report(days)])
    code, output = invoke("import", "copilot-usage", str(ndjson), "--db", db_url)
    assert code == 0, output
    assert "organisation/enterprise report" in output
    found = rows(
        db_url,
        "select scope, day, source_format, active_users, suggestions, acceptances, lines_accepted from copilot_org_day order by day",
    )
    assert [(s, str(d), f, a) for s, d, f, a, *_ in found] == [
        ("enterprise:1", "2026-09-29", "usage-metrics", 10),
        ("enterprise:1", "2026-09-30", "usage-metrics", 11),
        ("enterprise:1", "2026-10-01", "usage-metrics", 12),
    ]
    assert found[0][4:] == (4, 2, 30)
    windows = rows(
        db_url,
        "select weekly_active_users, monthly_active_users, monthly_active_chat_users, "
        "monthly_active_agent_users from copilot_org_day order by day",
    )
    assert windows == [(15, 20, 0, 0)] * 3  # the report's 7- and 28-day counts are kept
    pretty = tmp_path / "enterprise.json"
    pretty.write_text(json.dumps(enterprise_report(days, "7"), indent=2))
    assert invoke("import", "copilot-usage", str(pretty), "--db", db_url)[0] == 0
    assert counts(db_url)["copilot_org_day"] == 6


def test_legacy_metrics_sum_editors_models_languages(db_url: str, tmp_path: Path):
    export = tmp_path / "acme-copilot-metrics.json"
    export.write_text(
        json.dumps([legacy_day("2024-06-24"), legacy_day("2024-06-25", scale=2)], indent=2)
    )
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 0, output
    found = rows(
        db_url,
        "select scope, source_format, active_users, engaged_users, interactions, suggestions, acceptances, lines_suggested, lines_accepted from copilot_org_day order by day",
    )
    assert found[0] == (
        "acme-copilot-metrics",
        "legacy",
        24,
        20,
        45 + 38,
        LEGACY_SUGGESTIONS,
        LEGACY_ACCEPTANCES,
        LEGACY_LINES_SUGGESTED,
        LEGACY_LINES_ACCEPTED,
    )
    assert found[1][5] == LEGACY_SUGGESTIONS + 249
    windows = rows(db_url, "select weekly_active_users, monthly_active_users from copilot_org_day")
    assert windows == [(None, None)] * 2  # the legacy API has no trailing-window counts
    assert invoke("import", "copilot-usage", str(export), "--db", db_url)[0] == 0
    assert counts(db_url)["copilot_org_day"] == 2


def good_lines() -> list[str]:
    return [
        json.dumps(user_day("gh-person1", "2026-10-01")),
        json.dumps(user_day("gh-person2", "2026-10-01")),
    ]


BAD_CASES = {
    "truncated": (
        "\n".join(good_lines()) + "\n" + json.dumps(user_day("x", "2026-10-02"))[:-40],
        "row 3",
        "truncated",
    ),
    "not-json": ("\n".join(good_lines()) + "\nthis is not json\n", "row 3", "not valid JSON"),
    "missing-day": (
        good_lines()[0]
        + "\n"
        + json.dumps({k: v for k, v in user_day("gh-person2", "2026-10-01").items() if k != "day"}),
        "row 2",
        "column 'day'",
    ),
    "bad-number": (
        good_lines()[0]
        + "\n"
        + json.dumps({**user_day("gh-person2", "2026-10-01"), "loc_added_sum": "many"}),
        "row 2",
        "column 'loc_added_sum'",
    ),
    "bad-date": (
        good_lines()[0]
        + "\n"
        + json.dumps({**user_day("gh-person2", "2026-10-01"), "day": "10/01/2026"}),
        "row 2",
        "column 'day'",
    ),
    "bad-feature": (
        json.dumps(
            {
                **user_day("gh-person2", "2026-10-01"),
                "totals_by_feature": [{"feature": "x", "loc_added_sum": -1}],
            }
        ),
        "row 1",
        "totals_by_feature[0].loc_added_sum",
    ),
    "truncated-list": (
        json.dumps([legacy_day("2024-06-24"), legacy_day("2024-06-25")], indent=2)[:-300],
        "row",
        "truncated",
    ),
    "legacy-bad-count": (
        json.dumps([{**legacy_day("2024-06-24"), "total_active_users": 2.5}], indent=2),
        "row 2",
        "total_active_users",
    ),
    "org-bad-weekly": (
        json.dumps(
            {
                **enterprise_report(["2026-10-01"]),
                "day_totals": [
                    {
                        **enterprise_report(["2026-10-01"])["day_totals"][0],
                        "weekly_active_users": -3,
                    }
                ],
            }
        ),
        "row 1",
        "day_totals[0].weekly_active_users",
    ),
    "other-json": (
        json.dumps({"value": [{"userPrincipalName": "a@b.c"}]}),
        "row 1",
        "does not look like a GitHub Copilot usage export",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_exits_2_names_place_and_writes_nothing(db_url: str, tmp_path: Path, case: str):
    directory(db_url, tmp_path)
    content, where, what = BAD_CASES[case]
    export = tmp_path / f"{case}.ndjson"
    export.write_text(content)
    before = counts(db_url)
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 2, output
    flat = " ".join(output.split())
    assert export.name in flat and where in flat and what in flat, flat
    assert "Nothing was written" in flat
    assert counts(db_url) == before


@pytest.mark.parametrize("kind", ["jira", "people"])
def test_a_csv_of_another_kind_is_refused(db_url: str, tmp_path: Path, kind: str):
    if kind == "jira":
        export = tmp_path / "jira.csv"
        export.write_bytes("\ufeffIssue key,Summary,Sprint,Sprint\nPAY-1,Fix,S1,S2\n".encode())
    else:
        export = write_csv(
            tmp_path / "people.csv",
            [{"email": "a@b.c", "name": "A", "role_level": "ic", "team": "eng"}],
        )
    before = counts(db_url)
    code, output = invoke("import", "copilot-usage", str(export), "--db", db_url)
    assert code == 2
    assert "not a GitHub Copilot usage export" in output and export.name in output
    assert counts(db_url) == before


def test_sparse_two_gigabyte_file_is_refused_quickly(db_url: str, tmp_path: Path):
    huge = tmp_path / "huge.ndjson"
    with huge.open("wb") as handle:
        os.truncate(handle.fileno(), 2 * 1024**3)
    before = counts(db_url)
    started = time.monotonic()
    code, output = invoke("import", "copilot-usage", str(huge), "--db", db_url)
    assert code == 2 and "binary file" in output
    assert time.monotonic() - started < 10
    assert counts(db_url) == before


def test_progress_reports_bytes_read(db_url: str, tmp_path: Path):
    export = user_report(
        tmp_path / "users.ndjson",
        [f"u{i}" for i in range(60)],
        [f"2026-10-{d:02d}" for d in range(1, 31)],
    )
    seen: list[int] = []
    with session_scope(db_url) as session:
        summary = import_copilot_usage(session, export, progress=seen.append)
    assert summary.rows_read == 1800 and summary.rows_unresolved == 1800
    assert seen[-1] == export.stat().st_size and seen == sorted(seen)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_files_import_whole_or_not_at_all(db_url: str, tmp_path: Path, data: st.DataObject):
    if "postgresql" in db_url:
        pytest.skip("fuzzed on SQLite; both backends share the parser and the transaction")
    base = "\n".join(good_lines()).encode()
    position = data.draw(st.integers(0, len(base)))
    insert = data.draw(st.binary(max_size=8))
    cut = data.draw(st.integers(0, 4))
    mutated = base[:position] + insert + base[position + cut :]
    export = tmp_path / "fuzz.ndjson"
    export.write_bytes(mutated)
    before = counts(db_url)
    try:
        with session_scope(db_url) as session:
            import_copilot_usage(session, export)
    except InputError as error:
        assert error.problems and error.problems[0].source == "fuzz.ndjson"
        assert counts(db_url) == before
    else:
        assert counts(db_url)["import_run"] == before["import_run"] + 1


def test_day_is_a_date_everywhere(db_url: str, tmp_path: Path):
    export = user_report(tmp_path / "u.ndjson", ["someone"], ["2026-10-01"])
    with session_scope(db_url) as session:
        import_copilot_usage(session, export)
    from sqlalchemy import select

    from gaplens.telemetry.tools import CopilotUserDay

    with session_scope(db_url) as session:
        day = session.scalars(select(CopilotUserDay.day)).one()
    assert day == dt.date(2026, 10, 1)
