"""Large exports parsed in a second process: the same rows as one process, the same errors.

`PARALLEL_MIN_BYTES` is lowered to 0 here so small files take the child path; each scenario
imports the same files once in one process and once with the child, into two fresh databases
of the same backend, and compares every table the imports write.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import gaplens.imports.parallel as parallel
from gaplens.db.engine import session_scope
from gaplens.errors import InputError
from gaplens.imports.parallel import ImportProcessError, Writes, run_import_loop
from gaplens.imports.service import ConnectorSummary
from gaplens.telemetry.service import import_copilot_usage
from gaplens.work.service import BATCH_SIZE, import_jira, import_tickets
from tests.files import write_csv
from tests.telemetry.helpers import directory
from tests.telemetry.payloads import enterprise_report, user_day, write_ndjson
from tests.work.samples import (
    ZENDESK_HEADER,
    census,
    jira_issue,
    jira_row,
    setup_directory,
    write_jira_csv,
    write_jira_json,
    zendesk_row,
)

WORK_TABLES = {
    "work_item": "id",
    "jira_issue": "key",
    "jira_status_change": "issue_key, ordinal",
    "work_item_transition": "work_item_id, ordinal",
    "zendesk_ticket": "id",
}
COPILOT_TABLES = {
    "copilot_user_day": "day, user_login",
    "copilot_user_day_feature": "day, user_login, feature",
    "copilot_org_day": "scope, day",
    "ai_usage_day": "person_id, day, tool, app",
}
Import = Callable[..., ConnectorSummary]


def dump(url: str, tables: dict[str, str]) -> dict[str, Any]:
    """Every row the imports wrote, in key order; raw rows decompressed (bytes may differ
    only if compression did, which it must not either, but the text is what matters)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        found: dict[str, Any] = {
            table: [
                tuple(r) for r in connection.execute(text(f"select * from {table} order by {key}"))
            ]
            for table, key in tables.items()
        }
        found["import_run"] = [
            tuple(r)
            for r in connection.execute(
                text(
                    "select id, kind, source_name, sha256, rows_read, rows_written, "
                    "rows_unresolved from import_run order by id"
                )
            )
        ]
        found["raw_chunk"] = [
            (r.import_run_id, r.first_row, r.last_row, zlib.decompress(r.data))
            for r in connection.execute(
                text("select * from raw_chunk order by import_run_id, first_row")
            )
        ]
    engine.dispose()
    return found


def imported(url: str, run: Import, *paths: Path, **options: Any) -> list[str]:
    summaries = []
    for path in paths:
        with session_scope(url) as session:
            summaries.append(run(session, path, **options).describe())
    return summaries


def both_ways(
    monkeypatch: pytest.MonkeyPatch,
    urls: tuple[str, str],
    run: Import,
    tables: dict[str, str],
    *paths: Path,
) -> dict[str, Any]:
    """Imports `paths` in one process into the first database and through the child into the
    second; asserts the same summaries and rows, and returns the rows."""
    alone, forked = urls
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1 << 62)
    expected = imported(alone, run, *paths)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    assert imported(forked, run, *paths) == expected
    rows = dump(forked, tables)
    assert rows == dump(alone, tables)
    return rows


def test_a_large_jira_csv_gives_the_same_rows_through_the_child(
    db_url: str, twin_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for url in (db_url, twin_db_url):
        setup_directory(url, tmp_path)
    count = 3 * BATCH_SIZE + 17  # several batches and raw chunks: more messages than slots
    data = [
        jira_row(n, Assignee=f"Person {n % 9}", **{"Assignee Id": f"jira{n % 9:020d}"})
        for n in range(1, count + 1)
    ]
    data.append(jira_row(7, Status="In Progress", Resolved=""))  # a key again: the last wins
    path = write_jira_csv(tmp_path / "jira.csv", data)
    rows = both_ways(monkeypatch, (db_url, twin_db_url), import_jira, WORK_TABLES, path)
    assert len(rows["work_item"]) == count
    assert sum(last - first + 1 for _, first, last, _ in rows["raw_chunk"]) == count + 1
    rows_read, rows_written, unresolved = rows["import_run"][-1][4:]
    assert rows_read == rows_written == count + 1  # PAY-7 twice, in two batches
    assert unresolved > 3 * BATCH_SIZE // 9  # Person 6 to 8 are not in the directory


def test_jira_json_with_history_and_its_reimport_through_the_child(
    db_url: str, twin_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for url in (db_url, twin_db_url):
        setup_directory(url, tmp_path)
    history = [
        ("2025-02-04T09:00:00Z", "To Do", "In Progress"),
        ("2025-02-06T10:00:00Z", "In Progress", "Done"),
    ]
    first = write_jira_json(
        tmp_path / "a.json", [jira_issue(n, history=history) for n in range(1, 40)]
    )
    later = write_jira_json(
        tmp_path / "b.json", [jira_issue(n, history=history[:1]) for n in range(30, 50)]
    )
    rows = both_ways(
        monkeypatch, (db_url, twin_db_url), import_jira, WORK_TABLES, first, later, first
    )
    assert len(rows["work_item_transition"]) == 39 * 2 + 10  # 40-49 keep b's one move
    assert [run[1] for run in rows["import_run"]].count("jira") == 3


def test_zendesk_tickets_through_the_child(
    db_url: str, twin_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for url in (db_url, twin_db_url):
        setup_directory(url, tmp_path)
    tickets = [
        zendesk_row(
            n,
            Assignee=f"Person {n % 7}",  # Person 6 is not in the directory
            Subject=f"Refund {n}",
            Status="Solved" if n % 3 else "Open",
            **{"Solved at": "2025-02-04 10:00:00 +0000" if n % 3 else ""},
            Reopens=str(n % 2),
        )
        for n in range(1, 300)
    ]
    path = write_csv(tmp_path / "tickets.csv", tickets, ZENDESK_HEADER)
    rows = both_ways(monkeypatch, (db_url, twin_db_url), import_tickets, WORK_TABLES, path)
    assert len(rows["zendesk_ticket"]) == 299


def test_copilot_user_days_and_a_later_overlapping_export_through_the_child(
    db_url: str, twin_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for url in (db_url, twin_db_url):
        directory(url, tmp_path)
    start = dt.date(2025, 3, 1)
    days = [(start + dt.timedelta(days=d)).isoformat() for d in range(700)]
    logins = [f"gh-person{n}" for n in range(8)] + ["stranger"]  # tests/files.py people
    first = write_ndjson(
        tmp_path / "march.ndjson",
        (
            user_day(login, day, n=i % 5)
            for i, (day, login) in enumerate((day, login) for day in days[:600] for login in logins)
        ),
    )
    later = write_ndjson(  # overlaps the first: its user-days replace the earlier ones
        tmp_path / "april.ndjson",
        (user_day(login, day, n=7) for day in days[590:] for login in logins[:3]),
    )
    rows = both_ways(
        monkeypatch, (db_url, twin_db_url), import_copilot_usage, COPILOT_TABLES, first, later
    )
    assert len(rows["copilot_user_day"]) == 600 * 9 + 100 * 3
    assert len(rows["copilot_user_day_feature"]) == 2 * len(rows["copilot_user_day"])
    assert rows["import_run"][-2][4:] == (5400, 5400, 600)  # the stranger's days


def test_a_copilot_organisation_report_through_the_child(
    db_url: str, twin_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    days = [(dt.date(2025, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(28)]
    path = tmp_path / "enterprise.json"
    import json

    path.write_text(json.dumps(enterprise_report(days), indent=2), encoding="utf-8")
    rows = both_ways(monkeypatch, (db_url, twin_db_url), import_copilot_usage, COPILOT_TABLES, path)
    assert len(rows["copilot_org_day"]) == 28


def test_a_bad_row_found_by_the_child_is_located_and_nothing_is_written(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    setup_directory(db_url, tmp_path)
    before = census(db_url)
    data = [jira_row(n) for n in range(1, 2 * BATCH_SIZE)]  # a batch is written first
    data.append(jira_row(99_999, Created="31/Feb/25 9:00 AM"))
    path = write_jira_csv(tmp_path / "bad.csv", data)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    with pytest.raises(InputError) as raised, session_scope(db_url) as session:
        import_jira(session, path)
    (problem,) = raised.value.problems
    assert (problem.source, problem.row, problem.column) == (
        "bad.csv",
        2 * BATCH_SIZE + 1,
        "Created",
    )
    assert "31/Feb/25 9:00 AM" in problem.message
    assert census(db_url) == before


def test_the_cli_imports_through_the_child_with_its_progress_bar(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from tests.work.test_import_work import invoke

    setup_directory(db_url, tmp_path)
    path = write_jira_csv(tmp_path / "jira.csv", [jira_row(n) for n in range(1, 2 * BATCH_SIZE)])
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    code, output = invoke("import", "jira", str(path), "--db", db_url)
    assert code == 0, output
    assert f"{2 * BATCH_SIZE - 1} rows read" in output
    assert census(db_url)["work_item"] == 2 * BATCH_SIZE - 1


# --- the mechanism itself, with real child processes ---------------------------------------


class Recorder:
    """A write target: what the child sends is run on this process's copy."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []
        self.pid = os.getpid()

    def record(self, n: int, text: str) -> None:
        assert os.getpid() == self.pid  # runs in the parent, never in the child
        self.seen.append((n, text))


class Inline:
    def submit(self, write: Callable[..., Any], *args: Any) -> None:
        write(*args)


def test_writes_arrive_in_order_with_progress_and_the_result():
    target = Recorder()
    progress: list[int] = []

    def produce(writes: Writes, report: Callable[[int], None] | None) -> tuple[int, bool]:
        for n in range(50):  # more messages than slots: the child waits for free ones
            writes.submit(target.record, n, "x" * (n * 10_000))
            if report is not None:
                report(n)
        return os.getpid(), signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

    # As under a web server, whose SIGTERM handler only sets a flag: the child must not keep
    # it, or ending the child would not end it.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        child_pid, ends_on_sigterm = run_import_loop(
            produce, Inline(), progress.append, [target], True
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert child_pid != os.getpid() and ends_on_sigterm
    assert [(n, len(text)) for n, text in target.seen] == [(n, n * 10_000) for n in range(50)]
    assert progress == list(range(50))


def test_a_defect_in_the_child_is_raised_here_with_its_traceback():
    target = Recorder()

    def produce(writes: Writes, report: Callable[[int], None] | None) -> None:
        writes.submit(target.record, 1, "before")
        raise ZeroDivisionError("the child's own bug")

    with pytest.raises(ImportProcessError, match="ZeroDivisionError: the child's own bug"):
        run_import_loop(produce, Inline(), None, [target], True)
    assert target.seen == [(1, "before")]


def test_a_child_that_dies_is_reported_not_waited_for():
    def produce(writes: Writes, report: Callable[[int], None] | None) -> None:
        os._exit(3)

    with pytest.raises(ImportProcessError, match="exit code 3"):
        run_import_loop(produce, Inline(), None, [], True)


def test_a_failed_write_here_stops_the_child():
    class Failing(Recorder):
        def record(self, n: int, text: str) -> None:
            if n == 3:
                raise RuntimeError("the database refused")
            super().record(n, text)

    target = Failing()

    def produce(writes: Writes, report: Callable[[int], None] | None) -> None:
        n = 0
        while True:  # would never end by itself
            writes.submit(target.record, n, "row")
            n += 1

    # As under a web server, whose SIGTERM handler only sets a flag: the child must not keep it.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        with pytest.raises(RuntimeError, match="the database refused"):
            run_import_loop(produce, Inline(), None, [target], True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [n for n, _ in target.seen] == [0, 1, 2]


def test_a_write_of_an_unregistered_object_is_a_defect_reported_here():
    stranger = Recorder()

    def produce(writes: Writes, report: Callable[[int], None] | None) -> None:
        writes.submit(stranger.record, 1, "x")

    with pytest.raises(ImportProcessError, match="not a method of a registered target"):
        run_import_loop(produce, Inline(), None, [Recorder()], True)
    assert stranger.seen == []
