"""`gaplens sync` for Microsoft 365 Copilot against a real local identity platform and Graph
(tests/sync/fake_graph.py), on both databases: every nextLink page, the CSV redirect, the
refresh-date cursor, retries, tokens, concealed names and resuming after a kill."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text

from gaplens.db.engine import session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.sync.http import Retrying
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, SyncOutcome
from gaplens.sync.service import add_connection, sync_all
from tests.sync.fake_graph import CLIENT_ID, CLIENT_SECRET, REPORT, TENANT, FakeGraph
from tests.sync.killing import kill_sync_while_it_waits
from tests.sync.test_sync import KEY, load_directory, one
from tests.telemetry.helpers import invoke, rows

FIRST = f"/v1.0{REPORT}"
PAGE_2 = f"{FIRST}?$skiptoken=3"
PAGE_3 = f"{FIRST}?$skiptoken=6"
TODAY = dt.date(2026, 11, 9)
M365_RUNS = "where kind = 'm365-copilot'"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def downloads() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def graph(httpserver: HTTPServer, downloads: HTTPServer) -> FakeGraph:
    return FakeGraph(httpserver, downloads)


def connect(url: str, graph: FakeGraph, version: str = "v1.0") -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(
                kind=ConnectionKind.M365,
                name="m365",
                org=TENANT,
                base_url=graph.graph(version),
                authority=graph.authority,
                client_id=CLIENT_ID,
                token=CLIENT_SECRET,  # type: ignore[arg-type]
            ),
        )


def sync(url: str, waits: list[float] | None = None) -> SyncOutcome:
    sleep = waits.append if waits is not None else (lambda _: None)
    [outcome] = sync_all(
        url, PrivacyPolicy(), today=TODAY, retrying=Retrying(backoff=0.01, sleep=sleep)
    )
    return outcome


def cursors(url: str) -> dict[str, str]:
    return dict(json.loads(one(url, "select state from connection")))


SNAPSHOT = {
    "m365_usage_snapshot": "select refresh_date, upn, display_name, last_activity, teams, word, "
    "excel, powerpoint, outlook, onenote, loop, copilot_chat from m365_usage_snapshot "
    "order by refresh_date, upn",
    "m365_usage_period": "select refresh_date, upn, period_days from m365_usage_period "
    "order by refresh_date, upn, period_days",
    "ai_usage_day": "select person_id, day, tool, app from ai_usage_day "
    "order by person_id, day, tool, app",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def test_first_sync_follows_every_next_link_then_skips_a_stored_snapshot(
    db_url: str, tmp_path: Path, graph: FakeGraph
):
    load_directory(db_url, tmp_path)
    connect(db_url, graph)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert outcome.units_stored == 1
    assert "7 users, JSON, 3 pages" in outcome.notes[0]
    assert [graph.calls[p] for p in (FIRST, PAGE_2, PAGE_3)] == [1, 1, 1]
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7
    assert cursors(db_url) == {"users": "2026-11-08"}
    # Person 6 is not in the directory: kept in the snapshot, no usage rows.
    people = {r[0] for r in rows(db_url, "select person_id from ai_usage_day")}
    assert len(people) == 5  # persons 0-5 less person 3, who never used it (n % 4 == 3)
    days = {str(r[0]) for r in rows(db_url, "select distinct day from ai_usage_day")}
    assert days == {"2026-11-06", "2026-11-07", "2026-11-08"}
    # The client-credentials grant with the Graph scope; the secret is in no log of ours.
    assert graph.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "scope": "https://graph.microsoft.com/.default",
        }
    ]
    assert rows(db_url, f"select source_name from import_run {M365_RUNS}") == [
        (graph.graph() + REPORT,)
    ]
    assert one(db_url, "select count(*) from raw_chunk") > 0
    assert outcome.releases

    before = snapshot(db_url)
    again = sync(db_url)  # Microsoft has not refreshed the report: its first page says so
    assert again.ok and again.units_stored == 0
    assert [graph.calls[p] for p in (FIRST, PAGE_2, PAGE_3)] == [2, 1, 1]
    assert snapshot(db_url) == before
    assert one(db_url, f"select count(*) from import_run {M365_RUNS}") == 1

    graph.refresh = "2026-11-09"  # the next day's snapshot: history accumulates
    third = sync(db_url)
    assert third.ok and third.units_stored == 1
    assert cursors(db_url) == {"users": "2026-11-09"}
    by_date = "select refresh_date, count(*) from m365_usage_snapshot group by refresh_date"
    assert sorted((str(d), n) for d, n in rows(db_url, by_date)) == [
        ("2026-11-08", 7),
        ("2026-11-09", 7),
    ]
    days = {str(r[0]) for r in rows(db_url, "select distinct day from ai_usage_day")}
    assert days == {"2026-11-06", "2026-11-07", "2026-11-08", "2026-11-09"}


def test_storing_the_same_snapshot_again_changes_nothing(
    db_url: str, tmp_path: Path, graph: FakeGraph
):
    load_directory(db_url, tmp_path)
    connect(db_url, graph)
    assert sync(db_url).ok
    before = snapshot(db_url)
    with session_scope(db_url) as session:
        session.execute(text("update connection set state = '{}'"))
    again = sync(db_url)
    assert again.ok and again.units_stored == 1
    assert snapshot(db_url) == before
    assert cursors(db_url) == {"users": "2026-11-08"}


def test_a_csv_report_is_fetched_from_its_redirect_without_the_token(
    db_url: str, tmp_path: Path, graph: FakeGraph
):
    load_directory(db_url, tmp_path)
    graph.csv = True
    connect(db_url, graph, "beta")
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert "7 users, CSV" in outcome.notes[0]
    assert graph.calls[f"/beta{REPORT}"] == 1
    assert graph.calls["download:/reports/2026-11-08.csv"] == 1
    assert graph.download_authorizations == [None]  # the bearer token stays on Graph
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7
    assert cursors(db_url) == {"users": "2026-11-08"}
    sources = [r[0] for r in rows(db_url, f"select source_name from import_run {M365_RUNS}")]
    assert sources == [graph.graph("beta") + REPORT]


def test_csv_and_json_of_one_snapshot_store_the_same_rows(
    db_url: str, twin_db_url: str, tmp_path: Path, graph: FakeGraph
):
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, graph)
    assert sync(db_url).ok
    graph.csv = True
    assert sync(twin_db_url).ok
    assert snapshot(db_url) == snapshot(twin_db_url)


def test_429_with_retry_after_on_a_next_link_page_is_waited_out(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("429", r"skiptoken=3")
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [2.0]
    assert graph.calls[PAGE_2] == 2
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7


def test_500_mid_pages_is_retried_with_backoff(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("500", r"skiptoken=6", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert graph.calls[PAGE_3] == 3
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7


def test_persistent_server_errors_record_the_error_and_keep_the_last_success(
    db_url: str, graph: FakeGraph
):
    connect(db_url, graph)
    assert sync(db_url).ok
    success = one(db_url, "select last_success from connection")
    graph.refresh = "2026-11-09"
    graph.fail("500", r"skiptoken=3", times=5)
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert "server error 500; gave up after 5 tries" in outcome.error
    assert "skiptoken" not in outcome.error  # the page's URL without its query
    assert one(db_url, "select last_error from connection") == outcome.error
    assert one(db_url, "select last_success from connection") == success
    # Page 1 of the new snapshot was read, but nothing of it is stored without page 2 and 3.
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7
    assert cursors(db_url) == {"users": "2026-11-08"}
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 14
    assert one(db_url, "select last_error from connection") is None


def test_an_expired_token_is_renewed_once_then_reported_rejected(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("401", r"skiptoken=3")  # the token expired early: a new one is asked for
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert len(graph.token_requests) == 2
    assert graph.calls[PAGE_2] == 2

    with session_scope(db_url) as session:
        session.execute(text("update connection set state = '{}'"))
    graph.fail("401", r"skiptoken=3", times=2)  # the new token is refused too
    code, output = invoke("sync", "m365", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "Reports.Read.All" in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert one(db_url, "select count(*) from import_run") == 1  # the first sync's only
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "token rejected" in listing


def test_a_token_about_to_expire_is_renewed_before_the_request(db_url: str, graph: FakeGraph):
    graph.expires_in = 30  # under the 60 s leeway: every request needs a fresh token
    connect(db_url, graph)
    assert sync(db_url).ok
    assert len(graph.token_requests) == 3  # one per page


def test_a_wrong_client_secret_is_token_rejected_without_the_secret(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("invalid_client", r"oauth2/v2.0/token")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert outcome.error.startswith("token rejected")
    assert "invalid_client: AADSTS7000215: Invalid client secret provided" in outcome.error
    assert "Trace ID" not in outcome.error and CLIENT_SECRET not in outcome.error
    assert graph.calls[FIRST] == 0
    assert one(db_url, "select count(*) from import_run") == 0


def test_a_busy_token_endpoint_is_waited_out_not_taken_for_a_refusal(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("429", r"oauth2/v2.0/token")
    graph.fail("500", r"oauth2/v2.0/token")
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [3.0, 0.02]
    assert len(graph.token_requests) == 3
    graph.fail("500", r"oauth2/v2.0/token", times=5)
    graph.revoke()
    with session_scope(db_url) as session:
        session.execute(text("update connection set state = '{}'"))
    failed = sync(db_url)
    assert not failed.ok and failed.error is not None
    assert "server error 503; gave up after 5 tries" in failed.error
    assert "token rejected" not in failed.error


def test_an_expired_csv_download_link_is_asked_for_again_once(db_url: str, graph: FakeGraph):
    graph.csv = True
    connect(db_url, graph)
    graph.fail("404", r"download:/reports/2026-11-08.csv")
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert graph.calls[FIRST] == 2 and graph.calls["download:/reports/2026-11-08.csv"] == 2
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7
    graph.refresh = "2026-11-09"
    graph.fail("404", r"download:/reports/2026-11-09.csv", times=2)
    failed = sync(db_url)
    assert not failed.ok and failed.error is not None
    assert "again after asking anew" in failed.error and "sig=" not in failed.error
    assert cursors(db_url) == {"users": "2026-11-08"}


def test_a_bad_page_names_its_source_and_field_and_stores_nothing(db_url: str, graph: FakeGraph):
    connect(db_url, graph)
    graph.fail("bad", r"skiptoken=3")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{graph.graph()}{REPORT}, row 2, column 'value[1].wordCopilotLastActivityDate'" in (
        outcome.error
    )
    assert "'last week' is not a date" in outcome.error
    for table in ("m365_usage_snapshot", "import_run", "raw_chunk", "ai_usage_day"):
        assert one(db_url, f"select count(*) from {table}") == 0
    assert cursors(db_url) == {}
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7


def test_concealed_names_are_explained_and_nothing_of_them_is_stored(
    db_url: str, tmp_path: Path, graph: FakeGraph
):
    load_directory(db_url, tmp_path)
    graph.concealed = True
    connect(db_url, graph)
    code, output = invoke("sync", "--db", db_url)
    assert code == 1
    assert "concealed" in output and "Settings > Org settings > Reports" in output
    for table in ("m365_usage_snapshot", "ai_usage_day"):
        assert one(db_url, f"select count(*) from {table}") == 0
    assert one(db_url, f"select count(*) from import_run {M365_RUNS}") == 0
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "Org settings > Reports" in listing
    graph.concealed = False  # the admin turned concealment off: the next sync stores it
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 7


def test_some_concealed_names_among_real_ones_are_left_out(
    db_url: str, tmp_path: Path, graph: FakeGraph
):
    load_directory(db_url, tmp_path)
    connect(db_url, graph)
    users = graph.users
    graph.users = lambda: [  # type: ignore[method-assign]
        {**u, "userPrincipalName": "ABCDEF0123456789ABCDEF01234567" + f"{n:02d}"} if n >= 5 else u
        for n, u in enumerate(users())
    ]
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert "2 concealed names not stored" in outcome.notes[0]
    upns = [r[0] for r in rows(db_url, "select upn from m365_usage_snapshot order by upn")]
    assert upns == [f"person{n}@acme.example" for n in range(5)]
    assert "ABCDEF" not in repr(rows(db_url, "select * from raw_chunk"))


def test_a_sync_process_killed_mid_pages_loses_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, graph: FakeGraph
):
    """`kill -9` of a real `gaplens sync` process while it waits for the report's page 2."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, graph)
    assert sync(twin_db_url).ok
    graph.fail("hang", r"skiptoken=3")
    kill_sync_while_it_waits(db_url, graph, KEY, tmp_path / "sync.log", "page 2")
    assert cursors(db_url) == {}
    assert one(db_url, "select count(*) from m365_usage_snapshot") == 0
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url).ok
    assert snapshot(db_url) == snapshot(twin_db_url)
    assert cursors(db_url) == cursors(twin_db_url)


def test_connect_m365_keeps_the_secret_out_of_output_and_database(db_url: str, graph: FakeGraph):
    from typer.testing import CliRunner

    from gaplens.cli import app

    args = ["connect", "m365", "--tenant", TENANT, "--client-id", CLIENT_ID]
    code, output = invoke(*args, "--secret-env", "M365_UNSET", "--db", db_url)
    assert code == 2 and "M365_UNSET is empty or unset" in output
    result = CliRunner().invoke(
        app,
        [
            *args,
            "--secret-env",
            "M365_SECRET",
            "--base-url",
            graph.graph(),
            "--authority",
            graph.authority,
            "--db",
            db_url,
        ],
        env={"M365_SECRET": CLIENT_SECRET},
    )
    assert result.exit_code == 0, result.output
    assert "Connected m365-contoso (m365, tenant contoso.onmicrosoft.com" in result.output
    assert CLIENT_SECRET not in result.output
    assert sync(db_url).ok
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "m365-contoso (m365)" in listing and "users 2026-11-08" in listing
    assert CLIENT_SECRET not in listing and CLIENT_ID not in listing
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "audit_event"):
            dump = repr(connection.execute(text(f"select * from {table}")).all())
            assert CLIENT_SECRET not in dump and CLIENT_ID not in dump
    engine.dispose()
    # Without a client id there is no Microsoft 365 connection.
    code, output = invoke(
        "connect",
        "m365",
        "--tenant",
        TENANT,
        "--client-id",
        "",
        "--secret-env",
        "X",
        "--db",
        db_url,
    )
    assert code == 2
