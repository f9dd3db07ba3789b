"""`gaplens sync` for Jira Cloud against a real local HTTP server speaking Jira's REST v3
shapes, on both databases: whole changelogs, incremental JQL by `updated`, retries, errors,
and resuming after a kill."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.sync.http import Retrying
from gaplens.sync.jira import OVERLAP, jql_moment
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, SyncOutcome
from gaplens.sync.service import add_connection, sync_all
from tests.files import TEAMS, person, write_csv
from tests.sync.fake_jira import EMAIL, TOKEN, ZONE, FakeJira, history, short_issue
from tests.sync.killing import kill_sync_while_it_waits
from tests.telemetry.helpers import invoke, rows

KEY = "k" * 40
SEARCH = "/rest/api/3/search/jql"
LONG_CHANGELOG = "/rest/api/3/issue/APP-1/changelog"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def jira(httpserver: HTTPServer) -> FakeJira:
    return FakeJira(httpserver)


def load_directory(url: str, tmp_path: Path) -> None:
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    staff = write_csv(tmp_path / "people.csv", [person(n) for n in range(6)])
    assert invoke("import", "teams", str(teams), "--db", url)[0] == 0
    code, output = invoke("import", "people", str(staff), "--db", url)
    assert code == 0, output


def connect(url: str, jira: FakeJira) -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(
                kind=ConnectionKind.JIRA,
                name="jira",
                org="APP,OPS",
                base_url=jira.base_url,
                token=TOKEN,  # type: ignore[arg-type]
                email=EMAIL,
            ),
        )


def sync(url: str, waits: list[float] | None = None) -> SyncOutcome:
    sleep = waits.append if waits is not None else (lambda _: None)
    [outcome] = sync_all(url, PrivacyPolicy(), retrying=Retrying(backoff=0.01, sleep=sleep))
    return outcome


def one(url: str, sql: str) -> Any:
    return rows(url, sql)[0][0]


def cursors(url: str) -> dict[str, str]:
    return dict(json.loads(one(url, "select state from connection")))


def returned_keys(jira: FakeJira, since: int) -> list[str]:
    """Keys of the issues the searches from number `since` on asked for, in order."""
    found = []
    for query in jira.searches[since:]:
        matched = jira.matching(query["jql"])
        token = query.get("nextPageToken")
        offset = int(base64.b64decode(token)) if token else 0
        found += [i.key for i in matched[offset : offset + jira.page_size]]
    return found


SNAPSHOT = {
    "work_item": "select key, status, status_category, person_id, created_at, started_at, "
    "resolved_at, story_points, sprint, reopen_count, rework_count from work_item order by key",
    "jira_issue": "select key, issue_id, project, summary, status, assignee, created, updated, "
    "resolved, story_points, sprints from jira_issue order by key",
    "jira_status_change": "select issue_key, ordinal, at, from_status, to_status "
    "from jira_status_change order by issue_key, ordinal",
    "work_item_transition": "select count(*) from work_item_transition",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def counts(url: str) -> dict[str, tuple[int, int]]:
    """Per key, (reopen count, rework count)."""
    return {
        r[0]: (r[1], r[2])
        for r in rows(url, "select key, reopen_count, rework_count from work_item")
    }


def test_first_sync_takes_whole_changelogs_then_only_what_was_updated(
    db_url: str, tmp_path: Path, jira: FakeJira
):
    load_directory(db_url, tmp_path)
    connect(db_url, jira)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    # Six issues of APP and OPS (OTHER-8 is not asked for), three token pages of two.
    keys = [r[0] for r in rows(db_url, "select key from work_item order by key")]
    assert keys == ["APP-1", "APP-2", "APP-3", "APP-4", "APP-5", "OPS-7"]
    assert len(jira.searches) == 3 and outcome.units_stored == 3
    assert "nextPageToken" not in jira.searches[0]
    assert all("nextPageToken" in q for q in jira.searches[1:])
    first = jira.searches[0]
    assert first["jql"] == 'project in ("APP", "OPS") ORDER BY updated ASC, key ASC'
    assert first["expand"] == "changelog"
    asked = set(first["fields"].split(","))
    assert {"status", "created", "updated", "customfield_10016", "customfield_10020"} <= asked
    assert "summary" not in asked  # only what the metrics read
    # APP-1 has 45 histories; the search carried 40; the rest came from its changelog, in
    # pages of 20 (startAt 0, 20, 40), and its two reopens are in the last five.
    assert jira.calls[LONG_CHANGELOG] == 3
    assert sum(n for path, n in jira.calls.items() if path.endswith("/changelog")) == 3
    assert counts(db_url)["APP-1"] == (2, 2)
    assert counts(db_url)["APP-2"] == (0, 0)
    assert one(db_url, "select count(*) from jira_status_change where issue_key = 'APP-1'") == 45
    assert not any("cut short" in note for note in outcome.notes)
    # Story points from the site's field id, the sprint, the assignee by email.
    assert rows(db_url, "select story_points, sprint from work_item where key = 'APP-2'") == [
        (3.0, "Sprint 7")
    ]
    assert one(db_url, "select count(*) from work_item where person_id is null") == 0
    assert one(db_url, "select count(*) from jira_issue where summary is not null") == 0
    # Raw rows are kept, with the search URL as their source (no query, no credentials).
    sources = {r[0] for r in rows(db_url, "select source_name from import_run where kind = 'jira'")}
    assert sources == {f"{jira.base_url}{SEARCH}"}
    assert one(db_url, "select count(*) from raw_chunk") >= 3
    # The cursor is the highest `updated` stored, in UTC.
    newest = max(i.updated for i in jira.issues if not i.key.startswith("OTHER"))
    assert cursors(db_url) == {"issues": newest.replace(tzinfo=None).isoformat()}
    assert outcome.releases, "a sync that stored something builds releases"

    # Later: APP-3 is reopened and APP-9 is new. The next search starts five minutes before
    # the mark, written in the account's zone (Europe/Berlin, UTC+1 in November).
    app3 = next(i for i in jira.issues if i.key == "APP-3")
    later = newest + dt.timedelta(hours=2)
    app3.histories.append(history(9000, later, "In Progress", "Done"))
    app3.updated, app3.status = later, "In Progress"
    fresh = short_issue(9)
    fresh.created, fresh.updated = later, later + dt.timedelta(minutes=5)
    jira.issues.append(fresh)
    seen = len(jira.searches)
    assert sync(db_url).ok
    local = (newest - OVERLAP).astimezone(zoneinfo.ZoneInfo(ZONE))
    assert jira.searches[seen]["jql"] == (
        f'project in ("APP", "OPS") AND updated >= "{local:%Y/%m/%d %H:%M}" '
        "ORDER BY updated ASC, key ASC"
    )
    assert local.utcoffset() == dt.timedelta(hours=1)
    # Only the overlap (the issue at the mark) and what changed were asked for.
    assert returned_keys(jira, seen) == ["OPS-7", "APP-3", "APP-9"]
    assert jira.calls[LONG_CHANGELOG] == 3  # APP-1 was not asked for again
    assert counts(db_url)["APP-3"] == (1, 1)
    assert one(db_url, "select status from work_item where key = 'APP-3'") == "In Progress"
    assert one(db_url, "select count(*) from work_item") == 7
    assert cursors(db_url)["issues"] == fresh.updated.replace(tzinfo=None).isoformat()

    # A re-run with nothing new stores the overlap again: the same rows.
    before = snapshot(db_url)
    again = sync(db_url)
    assert again.ok and again.units_stored == 1
    assert snapshot(db_url) == before


def test_429_with_retry_after_or_an_iso_reset_is_waited_out(db_url: str, jira: FakeJira):
    connect(db_url, jira)  # no directory: every assignee is unknown, and the notes say so
    jira.fail("429", r"search/jql\?")
    jira.fail("429-reset", r"APP-1/changelog\?startAt=20")
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits[0] == 2.0
    assert len(waits) == 2 and 0 < waits[1] <= 90  # until X-RateLimit-Reset (to the minute)
    assert jira.calls[LONG_CHANGELOG] == 4
    assert counts(db_url)["APP-1"] == (2, 2)
    assert outcome.notes[0] == (
        "search page 1: 2 issues, 2 work items written, 2 with an assignee the directory "
        "does not know"
    )


def test_a_500_mid_pagination_is_retried_then_succeeds(db_url: str, jira: FakeJira):
    connect(db_url, jira)
    jira.fail("500", r"search/jql\?.*nextPageToken", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert one(db_url, "select count(*) from work_item") == 6


def test_persistent_server_errors_record_the_error_and_keep_the_last_success(
    db_url: str, jira: FakeJira
):
    connect(db_url, jira)
    assert sync(db_url).ok
    success = one(db_url, "select last_success from connection")
    mark = cursors(db_url)
    jira.fail("500", r"search/jql", times=5)
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert "server error 500; gave up after 5 tries" in outcome.error
    assert f"{jira.base_url}{SEARCH}" in one(db_url, "select last_error from connection")
    assert one(db_url, "select last_success from connection") == success
    assert cursors(db_url) == mark
    assert sync(db_url).ok
    assert one(db_url, "select last_error from connection") is None


def test_a_revoked_token_stops_at_once_and_the_cli_exits_non_zero(db_url: str, jira: FakeJira):
    connect(db_url, jira)
    jira.fail("401", r"myself", times=100)
    code, output = invoke("sync", "jira", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "401" in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert jira.calls["/rest/api/3/myself"] == 1  # no retry with a rejected token
    assert jira.calls[SEARCH] == 0
    assert one(db_url, "select count(*) from import_run") == 0


def test_a_bad_issue_rolls_its_page_back_and_names_source_and_field(db_url: str, jira: FakeJira):
    connect(db_url, jira)
    jira.fail("bad", r"search/jql\?.*nextPageToken")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{jira.base_url}{SEARCH}, row 2, column 'fields.created'" in outcome.error
    assert "'yesterday' is not a date" in outcome.error
    # The first page is stored with its cursor; nothing of the second.
    assert [r[0] for r in rows(db_url, "select key from work_item order by key")] == [
        "APP-1",
        "APP-2",
    ]
    assert (
        cursors(db_url)["issues"]
        == max(i.updated for i in jira.issues if i.key in ("APP-1", "APP-2"))
        .replace(tzinfo=None)
        .isoformat()
    )
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from work_item") == 6


def test_a_sync_process_killed_mid_search_loses_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, jira: FakeJira
):
    """`kill -9` of a real `gaplens sync` process while it waits for a search page."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, jira)
    assert sync(twin_db_url).ok  # the clean run to compare with
    jira.fail("hang", r"search/jql\?.*nextPageToken=NA(%3D%3D|==)")  # the third page
    kill_sync_while_it_waits(db_url, jira, KEY, tmp_path / "sync.log", "the third page")
    assert one(db_url, "select count(*) from work_item") == 4  # two pages stored
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url).ok
    assert snapshot(db_url) == snapshot(twin_db_url)
    assert cursors(db_url) == cursors(twin_db_url)


def test_the_token_is_never_stored_or_shown_in_plaintext(
    db_url: str, jira: FakeJira, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)

    def connect_cli(*extra: str, env: dict[str, str]) -> Any:
        return CliRunner().invoke(
            app,
            ["connect", "jira", "--site", jira.base_url, "--email", EMAIL, *extra, "--db", db_url],
            env=env,
        )

    refused = connect_cli("--projects", "APP,9X", "--token-env", "JT", env={"JT": TOKEN})
    assert refused.exit_code == 2 and "'9X' is not a Jira project key" in refused.output
    assert TOKEN not in refused.output
    result = connect_cli("--projects", "app, ops", "--token-env", "JT", env={"JT": TOKEN})
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output and "projects APP,OPS" in result.output
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert TOKEN not in outcome.describe()
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "(jira): APP,OPS" in listing and TOKEN not in listing
    assert TOKEN.encode() not in bytes(one(db_url, "select credentials from connection"))
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert "search/jql" in caplog.text  # the requests are logged, their credentials not
    assert TOKEN not in caplog.text and basic not in caplog.text
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "audit_event"):
            assert TOKEN not in repr(connection.execute(text(f"select * from {table}")).all())
    engine.dispose()


def test_jql_moments_are_written_in_the_account_zone_or_widened_without_one():
    assert jql_moment("2026-11-05T10:30:59", "Europe/Berlin") == "2026/11/05 11:25"
    assert jql_moment("2026-07-05T10:30:00", "America/New_York") == "2026/07/05 06:25"
    # No zone (or one this machine does not know): UTC, 14 hours earlier.
    assert jql_moment("2026-11-05T10:30:00", None) == "2026/11/04 20:30"
    assert jql_moment("2026-11-05T10:30:00", "Mars/Olympus") == "2026/11/04 20:30"
