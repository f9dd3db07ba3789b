"""`gaplens sync` for Claude Code against a real local HTTP server speaking the Anthropic
Admin API's `GET /v1/organizations/usage_report/claude_code`, on both databases: one day a
request, every `next_page`, the re-asked last days, retries, errors and a `kill -9`."""

from __future__ import annotations

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
from tests.sync.fake_anthropic import KEY, REPORT, TODAY, VERSION, FakeAnthropic, page_token
from tests.sync.killing import kill_sync_while_it_waits
from tests.telemetry.assistant_payloads import claude_page, claude_user, write_pages
from tests.telemetry.helpers import directory, invoke, rows

SERVER_KEY = "a" * 40
D = dt.date


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", SERVER_KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def anthropic(httpserver: HTTPServer) -> FakeAnthropic:
    return FakeAnthropic(httpserver)


def connect(url: str, anthropic: FakeAnthropic) -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(
                kind=ConnectionKind.CLAUDE_CODE,
                name="claude-code-northwind",
                org="northwind",
                base_url=anthropic.base_url,
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
    return dict(json.loads(one(url, "select state from connection"))).get("usage")


SNAPSHOT = {
    "claude_code_user_day": "select day, actor_type, actor, terminal_type, sessions, "
    "lines_added, lines_removed, commits, pull_requests, actions_accepted, actions_rejected, "
    "tool_actions, model_breakdown from claude_code_user_day "
    "order by day, actor_type, actor, terminal_type",
    "ai_usage_day": "select p.email, u.day, u.tool, u.app, u.interactions, u.suggestions, "
    "u.acceptances, u.loc_suggested, u.loc_added from ai_usage_day u "
    "join person p on p.id = u.person_id order by p.email, u.day",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def held(anthropic: FakeAnthropic) -> int:
    return sum(len(records) for records in anthropic.usage.values())


def days_asked(anthropic: FakeAnthropic) -> list[str]:
    return [call.split()[0] for call in anthropic.calls if call.endswith(" -")]


def test_first_sync_asks_each_day_and_every_page_then_only_the_last_days_again(
    db_url: str, tmp_path: Path, anthropic: FakeAnthropic
):
    directory(db_url, tmp_path)
    connect(db_url, anthropic)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert outcome.units_stored == 90  # one a day, 12 Aug to 9 Nov; today is not over
    asked = days_asked(anthropic)
    assert asked[0] == "2026-08-12" and asked[-1] == "2026-11-09" and len(asked) == 90
    # 25 Oct holds 5 records (person1, person2 in two terminals, person3, an API key): with
    # 2 a page it is three requests, the later ones by `next_page`.
    assert [c for c in anthropic.calls if c.startswith("2026-10-25")] == [
        "2026-10-25 -",
        f"2026-10-25 {page_token('2026-10-25', 2)}",
        f"2026-10-25 {page_token('2026-10-25', 4)}",
    ]
    assert set(anthropic.headers) == {(KEY, VERSION)}
    assert stored_cursor(db_url) == "2026-11-09"
    assert one(db_url, "select count(*) from claude_code_user_day") == held(anthropic)
    # Days nobody used it move the cursor and import nothing: one import run a day with data.
    runs = rows(db_url, "select source_name from import_run where kind = 'claude-code-usage'")
    assert runs == [(f"{anthropic.base_url}{REPORT}",)] * len(anthropic.usage)
    people_days = rows(
        db_url,
        "select count(*), sum(interactions) from ai_usage_day where tool = 'claude-code'",
    )
    # person1 every day (3 sessions), person2 on odd days (2 + 1 sessions in two terminals,
    # one row); person3's day without a session and the API key's are not days of use.
    odd = sum(day.day % 2 for day in anthropic.usage)
    assert people_days == [(len(anthropic.usage) + odd, 3 * len(anthropic.usage) + 3 * odd)]

    # Two days later: 9 Nov gained a record after it was stored, 10 and 11 Nov are new. The
    # sync asks again from 8 Nov (two days up to its cursor) to yesterday.
    anthropic.usage[D(2026, 11, 9)].append(claude_user("person4@acme.example", "2026-11-09"))
    for day in (D(2026, 11, 10), D(2026, 11, 11)):
        anthropic.usage[day] = [claude_user("person1@acme.example", day.isoformat())]
    anthropic.calls.clear()
    later = D(2026, 11, 12)
    again = sync(db_url, later)
    assert again.ok and again.units_stored == 4
    assert days_asked(anthropic) == ["2026-11-08", "2026-11-09", "2026-11-10", "2026-11-11"]
    assert stored_cursor(db_url) == "2026-11-11"
    assert one(db_url, "select count(*) from claude_code_user_day") == held(anthropic)

    before = snapshot(db_url)
    anthropic.calls.clear()
    assert sync(db_url, later).ok
    assert days_asked(anthropic) == ["2026-11-10", "2026-11-11"]
    assert snapshot(db_url) == before


def test_pulled_usage_and_the_same_pages_imported_from_a_file_are_the_same_rows(
    db_url: str, twin_db_url: str, tmp_path: Path, anthropic: FakeAnthropic
):
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        directory(url, tmp_path / str(n))
    connect(db_url, anthropic)
    assert sync(db_url).ok
    pages = [claude_page(anthropic.usage[day]) for day in sorted(anthropic.usage)]
    saved = write_pages(tmp_path / "claude.jsonl", pages)
    code, output = invoke("import", "claude-code-usage", str(saved), "--db", twin_db_url)
    assert code == 0, output
    pulled = snapshot(db_url)
    assert len(pulled["ai_usage_day"]) > 20
    assert pulled == snapshot(twin_db_url)


def test_429_with_retry_after_is_waited_out(db_url: str, anthropic: FakeAnthropic):
    connect(db_url, anthropic)
    anthropic.fail("429", "starting_at=2026-10-25&.*page=")
    waits: list[float] = []
    outcome = sync(db_url, waits=waits)
    assert outcome.ok, outcome.error
    assert waits == [4.0]
    assert one(db_url, "select count(*) from claude_code_user_day") == held(anthropic)


def test_a_500_mid_day_is_retried_with_backoff(db_url: str, anthropic: FakeAnthropic):
    connect(db_url, anthropic)
    anthropic.fail("500", f"page={page_token('2026-10-25', 4)}", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits=waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert one(db_url, "select count(*) from claude_code_user_day") == held(anthropic)


def test_persistent_server_errors_record_the_error_and_keep_the_last_success(
    db_url: str, anthropic: FakeAnthropic
):
    connect(db_url, anthropic)
    assert sync(db_url).ok
    succeeded = one(db_url, "select last_success from connection")
    anthropic.fail("500", "starting_at=2026-11-10", times=5)
    outcome = sync(db_url, D(2026, 11, 12))
    assert not outcome.ok and outcome.error is not None
    assert "server error 500; gave up after 5 tries" in outcome.error
    assert REPORT in one(db_url, "select last_error from connection")
    assert one(db_url, "select last_success from connection") == succeeded
    # 8 and 9 Nov were asked again and stored before the failing day.
    assert stored_cursor(db_url) == "2026-11-09"
    assert sync(db_url, D(2026, 11, 12)).ok
    assert stored_cursor(db_url) == "2026-11-11"
    assert one(db_url, "select last_error from connection") is None


def test_a_revoked_key_records_token_rejected_and_cli_exits_non_zero(
    db_url: str, anthropic: FakeAnthropic
):
    connect(db_url, anthropic)
    anthropic.fail("401", "starting_at=", times=100)
    code, output = invoke("sync", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "401" in output and KEY not in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert anthropic.requests == 1  # no retry with a rejected key
    assert one(db_url, "select count(*) from import_run") == 0
    assert stored_cursor(db_url) is None


def test_a_bad_record_rolls_its_day_back_and_names_source_and_field(
    db_url: str, anthropic: FakeAnthropic
):
    connect(db_url, anthropic)
    anthropic.fail("bad", f"page={page_token('2026-10-25', 2)}")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{anthropic.base_url}{REPORT}" in outcome.error
    assert ".core_metrics.num_sessions': -3 is not a whole number" in outcome.error
    # The days before are stored; nothing of 25 Oct (its good first page included).
    assert stored_cursor(db_url) == "2026-10-24"
    assert one(db_url, "select count(*) from claude_code_user_day where day = '2026-10-25'") == 0
    assert one(db_url, "select count(*) from claude_code_user_day where day = '2026-10-24'") > 0
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from claude_code_user_day") == held(anthropic)


def test_a_page_that_says_more_without_a_cursor_is_refused(
    db_url: str, anthropic: FakeAnthropic, httpserver: HTTPServer
):
    """`has_more` true without `next_page`: the day is not stored, the error says why."""
    connect(db_url, anthropic)
    httpserver.clear_all_handlers()
    httpserver.expect_request(REPORT).respond_with_json(
        {"data": [claude_user("person1@acme.example", "2026-08-12")], "has_more": True}
    )
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{anthropic.base_url}{REPORT}" in outcome.error and "'next_page'" in outcome.error
    assert one(db_url, "select count(*) from import_run") == 0
    assert stored_cursor(db_url) is None


def test_a_sync_process_killed_mid_sync_loses_and_doubles_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, anthropic: FakeAnthropic
):
    """`kill -9` of a real `gaplens sync` process while it waits for its 70th request."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        directory(url, tmp_path / str(n))
        connect(url, anthropic)
    # The process runs with the real clock (90 days before its today): the fake also holds
    # use of the 30 days before that today, whenever the suite runs.
    today = dt.datetime.now(dt.UTC).date()
    for back in range(1, 31):
        day = today - dt.timedelta(days=back)
        emails = ["person1@acme.example", "person4@acme.example", "person5@acme.example"]
        anthropic.usage[day] = [claude_user(e, day.isoformat()) for e in emails[: back % 3 + 1]]
    anthropic.hang_at = 70
    kill_sync_while_it_waits(db_url, anthropic, SERVER_KEY, tmp_path / "sync.log", "request 70")
    # Both databases are finished on that day, so both ask for the same days.
    killed_at = stored_cursor(db_url)
    assert killed_at is not None and killed_at < str(today - dt.timedelta(days=10))
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url, today).ok and sync(twin_db_url, today).ok
    finished = snapshot(db_url)
    assert len(finished["claude_code_user_day"]) >= 60 and finished["ai_usage_day"]
    assert finished == snapshot(twin_db_url)
    assert stored_cursor(db_url) == stored_cursor(twin_db_url) == str(today - dt.timedelta(days=1))


def test_connecting_by_cli_never_shows_or_stores_the_key(db_url: str, anthropic: FakeAnthropic):
    base = ["connect", "claude-code", "--organization", "northwind"]
    code, output = invoke(*base, "--key-env", "ANTHROPIC_UNSET", "--db", db_url)
    assert code == 2 and "ANTHROPIC_UNSET is empty or unset" in output
    result = CliRunner().invoke(
        app,
        [*base, "--key-env", "AK", "--base-url", anthropic.base_url, "--db", db_url],
        env={"AK": KEY},
    )
    assert result.exit_code == 0, result.output
    assert "claude-code-northwind (claude-code, organisation northwind" in result.output
    assert KEY not in result.output
    assert sync(db_url).ok
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "usage 2026-11-09" in listing and KEY not in listing
    assert KEY.encode() not in bytes(one(db_url, "select credentials from connection"))
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "raw_chunk", "audit_event"):
            dump = repr(connection.execute(text(f"select * from {table}")).all())
            assert KEY not in dump
    engine.dispose()
    spec = ConnectionIn(kind=ConnectionKind.CLAUDE_CODE, name="c", org="o", token=KEY)  # type: ignore[arg-type]
    assert spec.base_url == "https://api.anthropic.com"
