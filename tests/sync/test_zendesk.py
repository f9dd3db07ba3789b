"""`gaplens sync` for Zendesk against a real local HTTP server speaking the cursor-based
incremental ticket export, on both databases: what is stored (the same as a CSV export of
the same tickets), incremental cursors, retries, errors, deleted tickets and a `kill -9`."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from gaplens.cli import app
from gaplens.connectors.zendesk_json import ZendeskTicketPage, is_ticket_page
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.privacy import PrivacyPolicy
from gaplens.sync.http import Retrying
from gaplens.sync.schemas import ConnectionIn, ConnectionKind, SyncOutcome
from gaplens.sync.service import add_connection, sync_all
from tests.files import TEAMS, person, write_csv
from tests.sync.fake_zendesk import (
    EMAIL,
    EXPORT,
    OAUTH,
    SUBDOMAIN,
    TODAY,
    TOKEN,
    FakeZendesk,
    agent,
    cursor_of,
    metric_set,
    ticket,
)
from tests.sync.killing import kill_sync_while_it_waits
from tests.telemetry.helpers import invoke, rows
from tests.work.samples import ZENDESK_HEADER

KEY = "z" * 40


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPLENS_SECRET_KEY", KEY)
    monkeypatch.delenv("GAPLENS_PREVIOUS_SECRET_KEYS", raising=False)


@pytest.fixture
def zendesk(httpserver: HTTPServer) -> FakeZendesk:
    return FakeZendesk(httpserver)


def load_directory(url: str, tmp_path: Path) -> None:
    teams = write_csv(tmp_path / "teams.csv", TEAMS)
    staff = write_csv(tmp_path / "people.csv", [person(n) for n in range(6)])
    assert invoke("import", "teams", str(teams), "--db", url)[0] == 0
    code, output = invoke("import", "people", str(staff), "--db", url)
    assert code == 0, output


def connect(url: str, zendesk: FakeZendesk, oauth: bool = False) -> None:
    with session_scope(url) as session:
        add_connection(
            session,
            ConnectionIn(
                kind=ConnectionKind.ZENDESK,
                name="zd",
                org=SUBDOMAIN,
                base_url=zendesk.base_url,
                token=OAUTH if oauth else TOKEN,  # type: ignore[arg-type]
                email=None if oauth else EMAIL,
            ),
        )


def sync(url: str, waits: list[float] | None = None) -> SyncOutcome:
    sleep = waits.append if waits is not None else (lambda _: None)
    [outcome] = sync_all(
        url, PrivacyPolicy(), today=TODAY, retrying=Retrying(backoff=0.01, sleep=sleep)
    )
    return outcome


def one(url: str, sql: str) -> Any:
    return rows(url, sql)[0][0]


def cursor(url: str) -> str | None:
    return dict(json.loads(one(url, "select state from connection"))).get("tickets")


SNAPSHOT = {
    "zendesk_ticket": "select id, status, ticket_type, priority, assignee, group_name, "
    "created_at, updated_at, solved_at, reopens, replies from zendesk_ticket order by id",
    "work_item": "select id, source, key, kind, item_type, status, status_category, person_id, "
    "assignee_ref, team_id, created_at, started_at, resolved_at, reopen_count "
    "from work_item order by id",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    return {name: rows(url, sql) for name, sql in SNAPSHOT.items()}


def exports(zendesk: FakeZendesk) -> list[str]:
    return [call for call in zendesk.calls if call.startswith(EXPORT)]


def test_first_sync_pages_to_the_end_then_asks_only_from_its_cursor(
    db_url: str, tmp_path: Path, zendesk: FakeZendesk
):
    load_directory(db_url, tmp_path)
    connect(db_url, zendesk)
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert outcome.units_stored == 3  # 7 tickets, 3 a page
    first, second, third = exports(zendesk)
    start = int(dt.datetime(2025, 11, 10, tzinfo=dt.UTC).timestamp())
    assert f"start_time={start}" in first and "cursor=" not in first
    assert "include=metric_sets,users,groups" in first and "per_page=1000" in first
    assert f"cursor={cursor_of(3)}" in second and f"cursor={cursor_of(6)}" in third
    assert cursor(db_url) == cursor_of(7)
    tickets = {r[0]: r for r in rows(db_url, SNAPSHOT["zendesk_ticket"])}
    assert sorted(tickets) == list(range(101, 108))
    # 101 is solved: status, type and priority as the CSV export writes them, metrics sideloaded.
    assert tickets[101][1:6] == ("Solved", "Question", "Normal", "person1@acme.example", "Support")
    assert str(tickets[101][8])[:19] == "2026-10-03 09:00:00" and tickets[101][9:] == (0, 2)
    assert tickets[102][1] == "Open" and tickets[102][8] is None
    items = rows(db_url, "select key, person_id is not null, status_category from work_item")
    assert sorted(items) == [
        (str(100 + n), True, "done" if n % 2 else "in_progress") for n in range(1, 8)
    ]
    # The token goes as Basic {email}/token:{token}; raw rows keep no customer data.
    assert {a.split()[0] for a in zendesk.authorizations if a} == {"Basic"}
    raw = " ".join(
        zlib.decompress(bytes(r[0])).decode() for r in rows(db_url, "select data from raw_chunk")
    )
    assert '"Id": "101"' in raw and "person1@acme.example" in raw
    assert "Refund please" not in raw and "555" not in raw and "support@" not in raw
    sources = {
        r[0] for r in rows(db_url, "select source_name from import_run where kind = 'zendesk'")
    }
    assert sources == {f"{zendesk.base_url}{EXPORT}"}
    assert one(db_url, "select last_error from connection") is None

    # Ticket 102 is solved and reopened, 108 is new: only they are asked for and stored.
    zendesk.change(ticket(2, status="solved", updated_at="2026-11-09T10:00:00Z"), reopens=1)
    zendesk.change(ticket(8))
    zendesk.calls.clear()
    again = sync(db_url)
    assert again.ok and again.units_stored == 1
    assert exports(zendesk) == [
        f"{EXPORT}?include=metric_sets,users,groups&per_page=1000&cursor={cursor_of(7)}"
    ]
    assert cursor(db_url) == cursor_of(9)
    assert one(db_url, "select count(*) from zendesk_ticket") == 8  # 102 once, its latest
    assert rows(db_url, "select status, reopens from zendesk_ticket where id = 102") == [
        ("Solved", 1)
    ]
    assert one(db_url, "select reopen_count from work_item where key = '102'") == 1

    # Nothing new: one request, nothing stored, the same tables.
    before = snapshot(db_url)
    assert sync(db_url).units_stored == 0
    assert snapshot(db_url) == before
    assert cursor(db_url) == cursor_of(9)


def csv_export_of(zendesk: FakeZendesk, path: Path) -> Path:
    """The Support CSV export of the fake's tickets, as Zendesk writes it (times in the
    account's zone, +0100; enumerations capitalised), with an Assignee email column."""

    def local(text: str | None) -> str:
        if text is None:
            return ""
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S +0100")

    lines = []
    for item, reopens in zendesk.changes:
        metrics = metric_set(item, reopens)
        user = agent(item["assignee_id"] - 9000)
        row = {name: "" for name in ZENDESK_HEADER} | {
            "Id": str(item["id"]),
            "Subject": item["subject"],
            "Status": item["status"].capitalize(),
            "Type": item["type"].capitalize(),
            "Priority": item["priority"].capitalize(),
            "Assignee": user["name"],
            "Assignee email": user["email"],
            "Group": "Support",
            "Created at": local(item["created_at"]),
            "Updated at": local(item["updated_at"]),
            "Solved at": local(metrics["solved_at"]),
            "Reopens": str(reopens),
            "Replies": "2",
        }
        lines.append(row)
    return write_csv(path, lines, [*ZENDESK_HEADER, "Assignee email"])


def test_a_pulled_ticket_and_the_same_ticket_from_a_csv_export_are_the_same_rows(
    db_url: str, twin_db_url: str, tmp_path: Path, zendesk: FakeZendesk
):
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
    connect(db_url, zendesk)
    assert sync(db_url).ok
    export = csv_export_of(zendesk, tmp_path / "tickets.csv")
    code, output = invoke("import", "tickets", str(export), "--db", twin_db_url)
    assert code == 0, output
    pulled, imported = snapshot(db_url), snapshot(twin_db_url)
    assert len(pulled["work_item"]) == 7
    assert pulled == imported


def test_a_deleted_ticket_is_removed(db_url: str, tmp_path: Path, zendesk: FakeZendesk):
    load_directory(db_url, tmp_path)
    connect(db_url, zendesk)
    assert sync(db_url).ok
    zendesk.change(ticket(4, status="deleted", updated_at="2026-11-09T10:00:00Z"))
    outcome = sync(db_url)
    assert outcome.ok, outcome.error
    assert "1 deleted tickets removed" in " ".join(outcome.notes)
    assert one(db_url, "select count(*) from zendesk_ticket where id = 104") == 0
    assert one(db_url, "select count(*) from work_item where key = '104'") == 0
    assert one(db_url, "select count(*) from work_item") == 6


def test_429_with_retry_after_is_waited_out(db_url: str, zendesk: FakeZendesk):
    connect(db_url, zendesk)
    zendesk.fail("429", f"cursor={cursor_of(3)}")
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [7.0]
    assert sum(f"cursor={cursor_of(3)}" in call for call in zendesk.calls) == 2
    assert one(db_url, "select count(*) from zendesk_ticket") == 7


def test_a_500_mid_export_is_retried_with_backoff(db_url: str, zendesk: FakeZendesk):
    connect(db_url, zendesk)
    zendesk.fail("500", f"cursor={cursor_of(6)}", times=2)
    waits: list[float] = []
    outcome = sync(db_url, waits)
    assert outcome.ok, outcome.error
    assert waits == [0.01, 0.02]
    assert one(db_url, "select count(*) from zendesk_ticket") == 7


def test_persistent_server_errors_record_the_error_and_keep_the_last_success(
    db_url: str, zendesk: FakeZendesk
):
    connect(db_url, zendesk)
    assert sync(db_url).ok
    succeeded = one(db_url, "select last_success from connection")
    for n in (8, 9, 10, 11):
        zendesk.change(ticket(n))
    zendesk.fail("500", f"cursor={cursor_of(10)}", times=5)
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert "server error 500; gave up after 5 tries" in outcome.error
    assert EXPORT in one(db_url, "select last_error from connection")
    assert one(db_url, "select last_success from connection") == succeeded
    # The page before the failing one is stored with its cursor; the next run carries on.
    assert cursor(db_url) == cursor_of(10)
    assert one(db_url, "select count(*) from zendesk_ticket") == 10
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from zendesk_ticket") == 11
    assert one(db_url, "select last_error from connection") is None


def test_a_revoked_token_records_token_rejected_and_cli_exits_non_zero(
    db_url: str, zendesk: FakeZendesk
):
    connect(db_url, zendesk)
    zendesk.fail("401", "start_time=", times=100)
    code, output = invoke("sync", "--db", db_url)
    assert code == 1
    assert "token rejected" in output and "401" in output and TOKEN not in output
    assert one(db_url, "select last_error from connection").startswith("token rejected")
    assert len(exports(zendesk)) == 1  # no retry with a rejected token
    assert one(db_url, "select count(*) from import_run") == 0
    assert cursor(db_url) is None


def test_a_bad_ticket_rolls_its_page_back_and_names_where(db_url: str, zendesk: FakeZendesk):
    connect(db_url, zendesk)
    zendesk.fail("bad", f"cursor={cursor_of(3)}")
    outcome = sync(db_url)
    assert not outcome.ok and outcome.error is not None
    assert f"{zendesk.base_url}{EXPORT}, row 2, column 'created_at'" in outcome.error
    assert "'last tuesday' is not a date" in outcome.error
    # The good tickets of that page were written in the unit's transaction: rolled back.
    assert one(db_url, "select count(*) from zendesk_ticket") == 3
    assert cursor(db_url) == cursor_of(3)
    assert sync(db_url).ok
    assert one(db_url, "select count(*) from zendesk_ticket") == 7


def test_a_sync_process_killed_mid_export_loses_and_doubles_nothing(
    db_url: str, twin_db_url: str, tmp_path: Path, zendesk: FakeZendesk
):
    """`kill -9` of a real `gaplens sync` process while it waits for the third page."""
    for n, url in enumerate((db_url, twin_db_url)):
        (tmp_path / str(n)).mkdir()
        load_directory(url, tmp_path / str(n))
        connect(url, zendesk)
    # Ticket 102 changes again after the first pages: the export lists it at its latest.
    zendesk.change(ticket(2, status="solved", updated_at="2026-11-09T10:00:00Z"), reopens=1)
    assert sync(twin_db_url).ok
    zendesk.fail("hang", f"cursor={cursor_of(7)}")
    kill_sync_while_it_waits(db_url, zendesk, KEY, tmp_path / "sync.log", "the third page")
    assert cursor(db_url) == cursor_of(7)
    assert one(db_url, "select count(*) from zendesk_ticket") == 6
    assert one(db_url, "select last_success from connection") is None
    assert sync(db_url).ok
    assert snapshot(db_url) == snapshot(twin_db_url)
    assert cursor(db_url) == cursor(twin_db_url) == cursor_of(8)


def test_connecting_by_cli_never_shows_or_stores_the_token(db_url: str, zendesk: FakeZendesk):
    code, output = invoke(
        "connect", "zendesk", "--subdomain", SUBDOMAIN, "--token-env", "ZD_UNSET", "--db", db_url
    )
    assert code == 2 and "ZD_UNSET is empty or unset" in output
    args = ["connect", "zendesk", "--subdomain", SUBDOMAIN, "--token-env", "ZD"]
    result = CliRunner().invoke(
        app,
        [*args, "--email", EMAIL, "--base-url", zendesk.base_url, "--db", db_url],
        env={"ZD": TOKEN},
    )
    assert result.exit_code == 0, result.output
    assert "zendesk-northwind (zendesk" in result.output and TOKEN not in result.output
    bad = CliRunner().invoke(
        app, [*args, "--email", "not an email", "--name", "x", "--db", db_url], env={"ZD": TOKEN}
    )
    assert bad.exit_code == 2 and "email" in bad.output and TOKEN not in bad.output
    assert sync(db_url).ok
    code, listing = invoke("connections", "--db", db_url)
    assert code == 0 and "zendesk-northwind" in listing and TOKEN not in listing
    assert TOKEN.encode() not in bytes(one(db_url, "select credentials from connection"))
    engine = create_engine(db_url)
    with engine.connect() as connection:
        for table in ("connection", "import_run", "raw_chunk", "audit_event"):
            dump = repr(connection.execute(text(f"select * from {table}")).all())
            assert TOKEN not in dump
    engine.dispose()


def test_an_oauth_token_is_sent_as_bearer_and_the_default_host_is_the_subdomain(
    db_url: str, zendesk: FakeZendesk
):
    spec = ConnectionIn(
        kind=ConnectionKind.ZENDESK,
        name="zd",
        org=SUBDOMAIN,
        token=OAUTH,  # type: ignore[arg-type]
    )
    assert spec.base_url == "https://northwind.zendesk.com"
    connect(db_url, zendesk, oauth=True)
    assert sync(db_url).ok
    assert set(zendesk.authorizations) == {f"Bearer {OAUTH}"}


def page_file(tmp_path: Path, body: dict[str, Any]) -> Path:
    path = tmp_path / "page.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_page_without_metrics_says_what_will_be_unknown(db_url: str, tmp_path: Path):
    """`gaplens import tickets` reads a saved page too; without the metric_sets sideload
    its solved times and reopens are unknown, and the import says so."""
    path = page_file(tmp_path, {"tickets": [ticket(1)], "users": [agent(1)], "groups": []})
    code, output = invoke("import", "tickets", str(path), "--db", db_url)
    assert code == 0, output
    assert "no Solved at column" in output and "no Reopens column" in output
    assert rows(db_url, "select status, reopens, solved_at from zendesk_ticket") == [
        ("Solved", None, None)
    ]


def test_a_page_is_told_from_a_servicenow_export_by_its_members(tmp_path: Path):
    page = page_file(tmp_path, {"after_cursor": "x", "end_of_stream": True, "tickets": []})
    assert is_ticket_page(page)
    servicenow = page_file(tmp_path, {"records": [{"number": "INC1", "category": "tickets"}]})
    assert not is_ticket_page(servicenow)


def test_bad_pages_are_refused_naming_the_field(tmp_path: Path):
    with pytest.raises(InputError, match='expected one object with a "tickets" list'):
        ZendeskTicketPage(page_file(tmp_path, {"records": []}))
    with pytest.raises(InputError, match=r"row 2.*a ticket is not a JSON object"):
        ZendeskTicketPage(page_file(tmp_path, {"tickets": [ticket(1), [1]]}))
    with pytest.raises(InputError, match=r"row 1, column 'status'.*found a JSON list"):
        ZendeskTicketPage(page_file(tmp_path, {"tickets": [ticket(1, status=["open"])]}))
    with pytest.raises(InputError, match=r"column 'metric_sets'.*'ticket_id'"):
        ZendeskTicketPage(page_file(tmp_path, {"tickets": [], "metric_sets": [{"id": 1}]}))
