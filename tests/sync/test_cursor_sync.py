"""`gaplens sync` for Cursor against a real local HTTP server speaking the Admin API's
`POST /teams/daily-usage-data`, on both databases: what is stored (the same as importing the
saved response), 30-day windows, the re-asked last days, retries, errors and a `kill -9`."""

from __future__ import annotations

import base64
import datetime as dt
import json
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
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, SyncOutcome
from gaplens.sync.service import add_connection, sync_all
from tests.sync.fake_cursor import KEY, TODAY, USAGE, FakeCursor, ms_of
from tests.sync.killing import kill_sync_while_it_waits
from tests.telemetry.assistant_payloads import write_json
from tests.telemetry.helpers import directory, invoke, rows

SERVER_KEY = "c" * 40
D = dt.date


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", SERVER_KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def cursor(httpserver: HTTPServer) -> FakeCursor:
    return FakeCursor(httpserver)


def connect(url: str, cursor: FakeCursor) -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(
                kind=ConnectionKind.CURSOR,
                name="cursor-northwind",
                org="northwind",
                base_url=cursor.base_url,
                token=KEY,  # type: ignore[arg-type]
            ),
        )


def sync(url: str, today: dt.date = TODAY, waits: list[float] | None = None) -> SyncOutcome:
    sleep = waits.append if waits is not None else (lambda _: None)
    [outcome] = sync_all(
        url, PrivacyPolicy(), today=today, retrying=Retrying(backoff=0.01, sleep=sleep)
    )
    return outcome


def one(url: str, sql: str) -> Any:
    return rows(url, sql)[0][0]


def stored_cursor(url: str) -> str | None:
    return dict(json.loads(one(url, "select state from connection"))).get("daily-usage")


SNAPSHOT = {
    "cursor_user_day": "select day, email, is_active, total_lines_added, accepted_lines_added, "
    "total_tabs_shown, total_tabs_accepted, chat_requests, agent_requests, most_used_model "
    "from cursor_user_day order by day, email",
    "ai_usage_day": "select p.email, u.day, u.tool, u.app, u.interactions, u.suggestions, "
    "u.acceptances, u.loc_suggested, u.loc_added from ai_usage_day u "
    "join person p on p.id = u.person_id order by p.email, u.day",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def held(cursor: FakeCursor) -> int:
    return sum(len(records) for records in cursor.usage.values())


def test_first_sync_asks_90_days_in_30_day_windows_then_only_the_last_days_again(
    db_url: str, tmp_path: Path, cursor: FakeCursor
):
    directory(db_url, tmp_path)
    connect(db_url, cursor)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert outcome.units_stored == 3
    assert cursor.calls == [
        (D(2026, 8, 12), D(2026, 9, 10)),
        (D(2026, 9, 11), D(2026, 10, 10)),
        (D(2026, 10, 11), D(2026, 11, 9)),
    ]
    # The body is whole UTC days in epoch ms; today (not over) is never asked for.
    assert cursor.bodies[0] == {
        "startDate": ms_of(D(2026, 8, 12)),
        "endDate": ms_of(D(2026, 9, 11)) - 1,
    }
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    assert set(cursor.authorizations) == {f"Basic {basic}"}
    assert stored_cursor(db_url) == "2026-11-09"
    assert one(db_url, "select count(*) from cursor_user_day") == held(cursor)
    assert one(db_url, "select count(*) from cursor_user_day where email = 'person2@acme.example'")
    sources = rows(
        db_url, "select distinct source_name from import_run where kind = 'cursor-usage'"
    )
    assert sources == [(f"{cursor.base_url}{USAGE}",)]
    usage_days = one(db_url, "select count(*) from ai_usage_day where tool = 'cursor'")
    active = sum(r["isActive"] for records in cursor.usage.values() for r in records)
    assert usage_days == active  # inactive member-days are kept but are not days of use

    # Two days later: 7 Nov changed after it was stored, 10 and 11 Nov are new. The sync asks
    # from 7 Nov (three days up to its cursor again) to yesterday, in one request.
    cursor.record(D(2026, 11, 7), "person3@acme.example", n=5)
    for day in (D(2026, 11, 10), D(2026, 11, 11)):
        cursor.record(day, "person1@acme.example")
    cursor.record(D(2026, 11, 12), "person1@acme.example")  # today: not asked for
    cursor.calls.clear()
    later = D(2026, 11, 12)
    again = sync(db_url, later)
    assert again.ok and again.units_stored == 1
    assert cursor.calls == [(D(2026, 11, 7), D(2026, 11, 11))]
    assert stored_cursor(db_url) == "2026-11-11"
    assert one(db_url, "select count(*) from cursor_user_day") == held(cursor) - 1
    assert rows(
        db_url,
        "select total_tabs_shown from cursor_user_day "
        "where email = 'person3@acme.example' and day = '2026-11-07'",
    ) == [(200,)]  # replaced, not added to

    # The same sync again: its last three days asked again, the same rows.
    before = snapshot(db_url)
    cursor.calls.clear()
    assert sync(db_url, later).ok
    assert cursor.calls == [(D(2026, 11, 9), D(2026, 11, 11))]
    assert snapshot(db_url) == before


def test_pulled_usage_and_the_same_response_imported_from_a_file_are_the_same_rows(
    db_url: str, twin_db_url: str, tmp_path: Path, cursor: FakeCursor
):
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        directory(url, tmp_path / str(n))
    connect(db_url, cursor)
    assert sync(db_url).ok
    saved = {
        "data": [r for day in sorted(cursor.usage) for r in cursor.usage[day]],
        "period": {"startDate": ms_of(D(2026, 8, 12)), "endDate": ms_of(TODAY) - 1},
    }
    code, output = invoke(
        "import", "cursor-usage", str(write_json(tmp_path / "c.json", saved)), "--db", twin_db_url
    )
    assert code == 0, output
    pulled = snapshot(db_url)
    assert len(pulled["ai_usage_day"]) > 50
    assert pulled == snapshot(twin_db_url)


def test_429_with_retry_after_is_waited_out(db_url: str, cursor: FakeCursor):
    connect(db_url, cursor)
    cursor.fail("429", "2026-09-11")
    waits: list[float] = []
    outcome = sync(db_url, waits=waits)
    assert outcome.ok, outcome.error
    assert waits == [3.0]
    assert len(cursor.calls) == 3 and len(cursor.bodies) == 4
    assert one(db_url, "select count(*) from cursor_user_day") == held(cursor)


def test_a_500_mid_sync_is_retried_with_backoff(db_url: str, cursor: FakeCursor):
    connect(db_url, cursor)
    cursor.fail("500", "2026-10-11", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits=waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert one(db_url, "select count(*) from cursor_user_day") == held(cursor)


def test_persistent_server_errors_record_the_error_and_keep_the_last_success(
    db_url: str, cursor: FakeCursor
):
    connect(db_url, cursor)
    assert sync(db_url).ok
    succeeded = one(db_url, "select last_success from connection")
    cursor.fail("500", "2026-11-07", times=5)
    outcome = sync(db_url, D(2026, 11, 12))
    assert not outcome.ok and outcome.error is not None
    assert "server error 500; gave up after 5 tries" in outcome.error
    assert USAGE in one(db_url, "select last_error from connection")
    assert one(db_url, "select last_success from connection") == succeeded
    assert stored_cursor(db_url) == "2026-11-09"
    assert sync(db_url, D(2026, 11, 12)).ok
    assert stored_cursor(db_url) == "2026-11-11"
    assert one(db_url, "select last_error from connection") is None


def test_a_revoked_key_records_token_rejected_and_cli_exits_non_zero(
    db_url: str, cursor: FakeCursor
):
    connect(db_url, cursor)
    cursor.fail("401", "*", times=100)  # the CLI asks with the real clock's days
    code, output = invoke("sync", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "401" in output and KEY not in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert len(cursor.bodies) == 1  # no retry with a rejected key
    assert one(db_url, "select count(*) from import_run") == 0
    assert stored_cursor(db_url) is None


def test_a_bad_record_rolls_its_window_back_and_names_source_and_field(
    db_url: str, cursor: FakeCursor
):
    connect(db_url, cursor)
    cursor.fail("bad", "2026-09-11")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{cursor.base_url}{USAGE}" in outcome.error
    assert ".totalTabsShown': 'many' is not a whole number" in outcome.error
    # The first window is stored; nothing of the bad one (its good records included).
    assert stored_cursor(db_url) == "2026-09-10"
    assert rows(db_url, "select distinct day from cursor_user_day") in (
        [("2026-09-01",)],
        [(D(2026, 9, 1),)],
    )
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from cursor_user_day") == held(cursor)


def test_a_sync_process_killed_mid_sync_loses_and_doubles_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, cursor: FakeCursor
):
    """`kill -9` of a real `gaplens sync` process while it waits for the third window."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        directory(url, tmp_path / str(n))
        connect(url, cursor)
    # The process runs with the real clock (90 days before its today): the fake also holds
    # use of the 40 days before that today, whenever the suite runs.
    today = dt.datetime.now(dt.UTC).date()
    for back in range(1, 41):
        cursor.record(today - dt.timedelta(days=back), "person4@acme.example", n=back % 3)
    cursor.hang_at = 3
    kill_sync_while_it_waits(db_url, cursor, SERVER_KEY, tmp_path / "sync.log", "the third window")
    # Both databases are finished on that day, so both ask for the same range.
    killed_at = stored_cursor(db_url)
    assert killed_at == (today - dt.timedelta(days=31)).isoformat()  # two windows stored
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url, today).ok and sync(twin_db_url, today).ok
    finished = snapshot(db_url)
    assert len(finished["cursor_user_day"]) >= 40 and finished["ai_usage_day"]
    assert finished == snapshot(twin_db_url)
    assert stored_cursor(db_url) == stored_cursor(twin_db_url) == str(today - dt.timedelta(days=1))


def test_connecting_by_cli_never_shows_or_stores_the_key(db_url: str, cursor: FakeCursor):
    code, output = invoke(
        "connect", "cursor", "--team", "northwind", "--key-env", "CURSOR_UNSET", "--db", db_url
    )
    assert code == 2 and "CURSOR_UNSET is empty or unset" in output
    args = ["connect", "cursor", "--team", "northwind", "--key-env", "CK"]
    result = CliRunner().invoke(
        app, [*args, "--base-url", cursor.base_url, "--db", db_url], env={"CK": KEY}
    )
    assert result.exit_code == 0, result.output
    assert "cursor-northwind (cursor, team northwind" in result.output
    assert KEY not in result.output
    assert sync(db_url).ok
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "daily-usage 2026-11-09" in listing and KEY not in listing
    assert KEY.encode() not in bytes(one(db_url, "select credentials from connection"))
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "raw_chunk", "audit_event"):
            dump = repr(connection.execute(text(f"select * from {table}")).all())
            assert KEY not in dump
    engine.dispose()
    default = ConnectionIn(kind=ConnectionKind.CURSOR, name="c", org="t", token=KEY)  # type: ignore[arg-type]
    assert default.base_url == "https://api.cursor.com"
