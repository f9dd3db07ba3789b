"""`gaplens sync` for GitHub Copilot against a real local HTTP server speaking GitHub's
shapes, on both databases: what is stored, retries, errors, and resuming after a failure."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, event, text

from gaplens.db.engine import get_engine, session_scope
from gaplens.privacy import PrivacyPolicy
from gaplens.sync.http import Retrying
from gaplens.sync.schemas import ConnectionIn, SyncOutcome
from gaplens.sync.service import add_connection, run_due_syncs, sync_all, sync_connection
from tests.files import TEAMS, person, write_csv
from tests.sync.fake_github import ORG, TODAY, TOKEN, FakeGitHub
from tests.sync.killing import kill_sync_while_it_waits
from tests.telemetry.helpers import invoke, rows

KEY = "k" * 40
USERS_1_DAY = f"/orgs/{ORG}/copilot/metrics/reports/users-1-day"
SEATS = f"/orgs/{ORG}/copilot/billing/seats"


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def github(httpserver: HTTPServer) -> FakeGitHub:
    return FakeGitHub(httpserver)


def load_directory(url: str, tmp_path: Path) -> None:
    """People 0-5 with GitHub logins; 0 and 1 have no licence date in the directory."""
    people = [person(n) for n in range(6)]
    for n in (0, 1):
        people[n]["ai_licence_date"] = ""
        people[n]["ai_adoption_date"] = ""
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    staff = write_csv(tmp_path / "people.csv", people)
    assert invoke("import", "teams", str(teams), "--db", url)[0] == 0
    code, output = invoke("import", "people", str(staff), "--db", url)
    assert code == 0, output


def connect(url: str, github: FakeGitHub) -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(name="gh", org=ORG, base_url=github.base_url, token=TOKEN),  # type: ignore[arg-type]
        )


def sync(url: str, waits: list[float] | None = None, today: dt.date = TODAY) -> SyncOutcome:
    sleep = waits.append if waits is not None else (lambda _: None)
    [outcome] = sync_all(
        url, PrivacyPolicy(), today=today, retrying=Retrying(backoff=0.01, sleep=sleep)
    )
    return outcome


def one(url: str, sql: str) -> Any:
    return rows(url, sql)[0][0]


def cursors(url: str) -> dict[str, str]:
    return dict(json.loads(one(url, "select state from connection")))


SNAPSHOT = {
    "copilot_user_day": "select day, user_login, interactions, code_generations, "
    "code_acceptances, loc_suggested, loc_added, features from copilot_user_day "
    "order by day, user_login",
    "copilot_user_day_feature": "select * from copilot_user_day_feature "
    "order by day, user_login, feature",
    "ai_usage_day": "select person_id, day, tool, app, interactions, suggestions, acceptances "
    "from ai_usage_day order by person_id, day",
    "copilot_org_day": "select scope, day, active_users, weekly_active_users, interactions, "
    "lines_accepted from copilot_org_day order by scope, day",
    "copilot_seat": "select org, user_login, user_id, created_at, last_activity_at, "
    "pending_cancellation_date, plan_type from copilot_seat order by user_login",
    "person": "select email, ai_licence_date from person order by email",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def test_first_sync_stores_reports_and_seats_then_only_new_days(
    db_url: str, tmp_path: Path, github: FakeGitHub
):
    load_directory(db_url, tmp_path)
    connect(db_url, github)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    # 28-day reports (two files for users) end 2026-11-05, then 1-day reports to 11-09.
    assert one(db_url, "select count(*) from copilot_user_day") == 6 * (28 + 4)
    # Each user-day lists IDE and CLI use: one AI usage day per app (IDE, CLI).
    assert one(db_url, "select count(*) from ai_usage_day") == 2 * 6 * (28 + 4)
    assert one(db_url, "select count(*) from ai_usage_day where app = 'cli'") == 6 * (28 + 4)
    assert rows(db_url, "select scope, count(*) from copilot_org_day group by scope") == [
        ("organization:4242", 28 + 4)
    ]
    assert cursors(db_url) == {
        "organization": "2026-11-09",
        "premium_requests": "2026-10",  # November is still open
        "seats": TODAY.isoformat(),
        "users": "2026-11-09",
    }
    # Seats: 7 over three Link-header pages; person6 is not in the directory.
    assert github.calls[f"{SEATS}?per_page=100"] == 1
    assert github.calls[f"{SEATS}?per_page=100&page=2"] == 1
    assert github.calls[f"{SEATS}?per_page=100&page=3"] == 1
    assert one(db_url, "select count(*) from copilot_seat") == 7
    assert (
        rows(
            db_url,
            "select pending_cancellation_date from copilot_seat where user_login = 'gh-person3'",
        )[0][0]
        is not None
    )
    # The funnel's licence date comes from the seat where the directory had none.
    licences = dict(rows(db_url, "select email, ai_licence_date from person"))
    assert str(licences["person0@acme.example"]) == "2026-01-10"
    assert str(licences["person1@acme.example"]) == "2026-02-11"
    assert str(licences["person2@acme.example"]) == "2025-03-01"  # the directory's stays
    # Raw rows are kept with their source: the link without its signature.
    sources = {r[0] for r in rows(db_url, "select source_name from import_run")}
    assert f"{github.base_url}/download/users/2026-11-06.ndjson" in sources
    assert f"{github.base_url}{SEATS}" in sources
    assert not any("sig=" in s for s in sources)
    # The token goes to the API only, never to a download link's host.
    assert github.authorizations and set(github.authorizations) == {None}
    assert outcome.releases, "a sync that stored something builds releases"
    assert one(db_url, "select last_error from connection") is None
    assert one(db_url, "select last_success from connection") is not None

    before = snapshot(db_url)
    # A day later, the 2026-11-10 report is not out yet (404): asked, nothing more stored.
    again = sync(db_url, today=TODAY + dt.timedelta(days=1))
    assert again.ok and again.units_stored == 2  # the seat list, November's open bill
    assert github.calls[f"{USERS_1_DAY}?day=2026-11-10"] == 1
    assert cursors(db_url)["users"] == "2026-11-09"
    assert snapshot(db_url) == before
    # The same seat list pulled twice: two runs, raw rows kept once (with the newest).
    seat_runs = "select id from import_run where kind = 'copilot-seats'"
    assert len(rows(db_url, seat_runs)) == 2
    kept = f"select distinct import_run_id from raw_chunk where import_run_id in ({seat_runs})"
    assert rows(db_url, kept) == [(max(r[0] for r in rows(db_url, seat_runs)),)]


def test_a_sync_reads_the_directory_once_for_all_its_units(
    db_url: str, tmp_path: Path, github: FakeGitHub
):
    """Seats, reports and days: many units, one read of the directory's GitHub logins (it was
    read again for every unit); every unit still resolves against it. (The connection alone:
    the release build after a sync reads what it needs itself.)"""
    load_directory(db_url, tmp_path)
    connect(db_url, github)
    connection_id = one(db_url, "select id from connection")
    reads: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM identity" in statement:
            reads.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        outcome = sync_connection(
            db_url,
            connection_id,
            today=TODAY,
            retrying=Retrying(backoff=0.01, sleep=lambda _: None),
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert outcome.ok, outcome.error
    assert outcome.units_stored > 5
    assert len(reads) == 1
    # Each unit's people were resolved: every user-day and the seats' licence dates.
    assert one(db_url, "select count(*) from ai_usage_day") == 2 * 6 * (28 + 4)
    assert one(db_url, "select count(*) from person where ai_licence_date is null") == 0


def test_429_with_retry_after_is_waited_out(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("429", r"users-1-day\?day=2026-11-07")
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [1.0]
    assert github.calls[f"{USERS_1_DAY}?day=2026-11-07"] == 2
    assert one(db_url, "select count(*) from copilot_user_day where day = '2026-11-07'") == 6


def test_500_mid_pagination_is_retried_with_backoff(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("500", r"billing/seats.*page=2", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert github.calls[f"{SEATS}?per_page=100&page=2"] == 3
    assert one(db_url, "select count(*) from copilot_seat") == 7


def test_server_errors_past_the_retries_record_the_error(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("500", r"organization-28-day", times=5)
    outcome = sync(db_url)
    assert not outcome.ok
    assert outcome.error is not None and "server error 500; gave up after 5 tries" in outcome.error
    assert "organization-28-day/latest" in one(db_url, "select last_error from connection")
    assert one(db_url, "select count(*) from copilot_org_day") == 0
    # The seats came first and stay stored; the next sync carries on.
    assert one(db_url, "select count(*) from copilot_seat") == 7
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from copilot_org_day") == 32


def test_expired_token_records_token_rejected_and_cli_exits_non_zero(
    db_url: str, github: FakeGitHub
):
    connect(db_url, github)
    github.fail("401", r"billing/seats", times=100)
    code, output = invoke("sync", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "401" in output
    error = one(db_url, "select last_error from connection")
    assert error.startswith("token rejected")
    assert github.calls[f"{SEATS}?per_page=100"] == 1  # no retry with a rejected token
    assert one(db_url, "select count(*) from import_run") == 0
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "token rejected" in listing


def test_an_expired_download_link_is_asked_for_again_once(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("404", r"/download/users/2026-11-07")
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert github.calls[f"{USERS_1_DAY}?day=2026-11-07"] == 2
    assert one(db_url, "select count(*) from copilot_user_day where day = '2026-11-07'") == 6

    github.fail("404", r"/download/users/2026-11-06", times=2)
    with session_scope(db_url) as session:
        session.execute(text("update connection set state = :s"), {"s": '{"users": "2026-11-05"}'})
    outcome = sync(db_url)
    assert not outcome.ok
    assert outcome.error is not None and "again after asking for the report anew" in outcome.error
    assert "sig=" not in outcome.error


def test_a_sync_killed_mid_download_resumes_with_nothing_lost_or_doubled(
    db_url: str, twin_db_url: str, tmp_path: Path, github: FakeGitHub
):
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, github)
    assert sync(twin_db_url).ok  # the clean run to compare with

    github.fail("drop", r"/download/users/2026-11-08", times=5)  # every try of this run
    first = sync(db_url)
    assert not first.ok and first.error is not None
    assert "connection failed" in first.error
    assert cursors(db_url)["users"] == "2026-11-07"
    assert one(db_url, "select count(*) from copilot_user_day where day >= '2026-11-08'") == 0

    second = sync(db_url)
    assert second.ok, second.error
    assert snapshot(db_url) == snapshot(twin_db_url)
    assert cursors(db_url) == cursors(twin_db_url)


def test_a_bad_report_rolls_its_day_back_and_names_where(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    github.fail("bad", r"/download/users/2026-11-08")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{github.base_url}/download/users/2026-11-08.ndjson, row 2" in outcome.error
    assert "loc_added_sum" in outcome.error
    # The good first line of that file was written in the unit's transaction: rolled back.
    assert one(db_url, "select count(*) from copilot_user_day where day = '2026-11-08'") == 0
    assert cursors(db_url)["users"] == "2026-11-07"
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from copilot_user_day where day = '2026-11-08'") == 6


def test_scheduled_runs_sync_only_what_is_due(db_url: str, github: FakeGitHub):
    connect(db_url, github)
    [outcome] = run_due_syncs(db_url, PrivacyPolicy())
    assert outcome.name == "gh"  # new connections are due at once
    assert run_due_syncs(db_url, PrivacyPolicy()) == []  # next due in interval_minutes


def test_the_token_is_never_stored_or_shown_in_plaintext(
    db_url: str, github: FakeGitHub, tmp_path: Path
):
    code, output = invoke(
        "connect", "copilot", "--org", ORG, "--token-env", "GH_TOKEN_UNSET", "--db", db_url
    )
    assert code == 2 and "GH_TOKEN_UNSET is empty or unset" in output
    env = {"GH_TOKEN": TOKEN}
    from typer.testing import CliRunner

    from gaplens.cli import app

    result = CliRunner().invoke(
        app,
        [
            "connect",
            "copilot",
            "--org",
            ORG,
            "--token-env",
            "GH_TOKEN",
            "--name",
            "gh",
            "--base-url",
            github.base_url,
            "--db",
            db_url,
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert TOKEN not in result.output
    assert sync(db_url).ok
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "gh" in listing and TOKEN not in listing
    stored = one(db_url, "select credentials from connection")
    assert TOKEN.encode() not in bytes(stored)
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "audit_event"):
            dump = repr(connection.execute(text(f"select * from {table}")).all())
            assert TOKEN not in dump
    engine.dispose()
    if db_url.startswith("sqlite"):
        database = Path(db_url.removeprefix("sqlite:///"))
        for file in (database, database.with_name(database.name + "-wal")):
            if file.exists():
                assert TOKEN.encode() not in file.read_bytes()


def test_without_the_secret_key_nothing_is_stored(
    db_url: str, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("GAPLENS_SECRET_KEY")
    from typer.testing import CliRunner

    from gaplens.cli import app

    result = CliRunner().invoke(
        app,
        ["connect", "copilot", "--org", ORG, "--token-env", "GH", "--db", db_url],
        env={"GH": TOKEN},
    )
    assert result.exit_code == 2
    assert "GAPLENS_SECRET_KEY is not set" in result.output
    assert one(db_url, "select count(*) from connection") == 0


def test_rotating_the_key_keeps_connections_working(
    db_url: str, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
):
    connect(db_url, github)
    old = one(db_url, "select credentials from connection")
    monkeypatch.setenv("GAPLENS_SECRET_KEY", "n" * 40)
    code, output = invoke("connections", "--db", db_url)  # without the old key: unreadable
    assert code == 0
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None and "cannot be decrypted" in outcome.error
    monkeypatch.setenv("GAPLENS_PREVIOUS_SECRET_KEYS", KEY)
    code, output = invoke("connections", "--rotate", "--db", db_url)
    assert code == 0 and "Re-encrypted the credentials of 1 connection" in output
    assert bytes(one(db_url, "select credentials from connection")) != bytes(old)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS")
    assert sync(db_url).ok


def test_a_sync_process_killed_mid_download_loses_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, github: FakeGitHub
):
    """`kill -9` of a real `gaplens sync` process while it downloads a day's report."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, github)
    assert sync(twin_db_url).ok
    github.fail("hang", r"/download/users/2026-11-08")
    kill_sync_while_it_waits(db_url, github, KEY, tmp_path / "sync.log", "the download")
    assert cursors(db_url)["users"] == "2026-11-07"
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url).ok
    assert snapshot(db_url) == snapshot(twin_db_url)


def test_the_server_syncs_due_connections_on_its_schedule(db_url: str, github: FakeGitHub):
    from fastapi.testclient import TestClient

    from gaplens.web.app import create_app
    from gaplens.web.settings import WebSettings

    connect(db_url, github)
    settings = WebSettings(
        database_url=db_url,
        secure_cookies=False,
        slack_signing_secret=None,
        sync_schedule="every 1s",
    )
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        scheduler = app.state.sync_scheduler
        assert scheduler is not None and scheduler.running
        deadline = time.monotonic() + 60
        while one(db_url, "select last_success from connection") is None:
            assert time.monotonic() < deadline, "no scheduled sync"
            assert client.get("/healthz").status_code == 200  # serving meanwhile
            time.sleep(0.2)
    assert not scheduler.running
    assert one(db_url, "select count(*) from copilot_seat") == 7
    with pytest.raises(ValueError, match="GAPLENS_SYNC_SCHEDULE"):
        create_app(WebSettings(db_url, False, None, sync_schedule="now and then"))


def test_a_stop_ends_a_sync_between_units_and_the_next_run_carries_on(
    db_url: str, github: FakeGitHub
):
    connect(db_url, github)
    stop = threading.Event()
    assert run_due_syncs(db_url, PrivacyPolicy(), stop) != []
    [connection_id] = [r[0] for r in rows(db_url, "select id from connection")]
    with session_scope(db_url) as session:
        session.execute(text("update connection set state = '{}'"))
    stop.set()
    assert run_due_syncs(db_url, PrivacyPolicy(), stop) == []  # nothing claimed once stopping
    outcome = sync_connection(db_url, connection_id, today=TODAY, stop=stop)
    assert outcome.ok and outcome.units_stored == 1
    assert "stopped for a shutdown" in outcome.notes[-1]
    assert set(cursors(db_url)) == {"seats"}
    assert sync(db_url).ok
    assert set(cursors(db_url)) == {"seats", "organization", "users", "premium_requests"}


def test_a_seat_without_a_login_is_refused_by_row_and_field(db_url: str, github: FakeGitHub):
    github.seats[4] = {**github.seats[4], "assignee": {"slug": "platform", "name": "Platform"}}
    github.seats[5] = {**github.seats[5], "created_at": "yesterday"}
    connect(db_url, github)
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{github.base_url}{SEATS}, row 5, column 'assignee.login'" in outcome.error
    assert "row 6, column 'created_at': 'yesterday' is not an ISO 8601 timestamp" in (outcome.error)
    assert one(db_url, "select count(*) from copilot_seat") == 0
    assert one(db_url, "select count(*) from import_run") == 0
    assert cursors(db_url) == {}
