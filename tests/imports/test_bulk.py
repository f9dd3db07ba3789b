"""The bulk write path under every import: new rows, existing keys, repeats, failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Table, select, text
from sqlalchemy.exc import IntegrityError

import gaplens.imports.bulk as bulk
from gaplens.db.engine import session_scope
from gaplens.imports.bulk import BulkStatement, WriteBehind
from gaplens.imports.models import ImportRun
from gaplens.imports.raw import RawRowWriter, read_raw_row
from gaplens.imports.service import finish_run, start_run
from gaplens.telemetry.models import CopilotUserDay
from gaplens.work.service import ITEM_COLUMNS, WORK_ITEM

USER_DAY = cast(Table, CopilotUserDay.__table__)
COLUMNS = ("day", "user_login", "interactions", "import_run_id", "source_row")


def a_run(db_url: str, tmp_path: Path) -> int:
    source = tmp_path / "source.txt"
    source.write_text("x\n")
    with session_scope(db_url) as session:
        run = start_run(session, "bench", source)
        finish_run(run, 0, 0)
        return run.id


def stored(db_url: str) -> list[tuple[str, str, int]]:
    with session_scope(db_url) as session:
        rows = session.execute(
            select(
                CopilotUserDay.day, CopilotUserDay.user_login, CopilotUserDay.interactions
            ).order_by(CopilotUserDay.day, CopilotUserDay.user_login)
        ).all()
    return [(str(day), login, n) for day, login, n in rows]


def test_new_rows_then_existing_and_repeated_keys_end_as_the_last_row(db_url: str, tmp_path: Path):
    run_id = a_run(db_url, tmp_path)
    day1, day2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)
    with session_scope(db_url) as session:
        statement = BulkStatement(session, USER_DAY, COLUMNS, ("day", "user_login"))
        assert statement.execute([(day2, "b", 1, run_id, 1), (day1, "a", 2, run_id, 2)]) == 2
    assert stored(db_url) == [("2026-10-01", "a", 2), ("2026-10-02", "b", 1)]
    with session_scope(db_url) as session:
        statement = BulkStatement(session, USER_DAY, COLUMNS, ("day", "user_login"))
        # "a" exists already, "c" is new and repeated in the batch: the last "c" wins.
        rows = [(day1, "c", 5, run_id, 3), (day1, "a", 7, run_id, 4), (day1, "c", 6, run_id, 5)]
        assert statement.execute(rows) == 3
    assert stored(db_url) == [
        ("2026-10-01", "a", 7),
        ("2026-10-01", "c", 6),
        ("2026-10-02", "b", 1),
    ]


def test_a_failing_batch_raises_and_the_transaction_writes_nothing(db_url: str, tmp_path: Path):
    run_id = a_run(db_url, tmp_path)
    day = dt.date(2026, 10, 1)
    with pytest.raises(IntegrityError), session_scope(db_url) as session:
        statement = BulkStatement(session, USER_DAY, COLUMNS, ("day", "user_login"))
        with WriteBehind(session) as writes:
            writes.submit(statement.execute, [(day, "a", 1, run_id, 1)])
            writes.submit(statement.execute, [(day, "b", 1, run_id + 999, 2)])  # no such run
            writes.submit(statement.execute, [(day, "c", 1, run_id, 3)])
    assert stored(db_url) == []


def test_writes_behind_run_in_order_and_raw_rows_read_back(db_url: str, tmp_path: Path):
    source = tmp_path / "lines.ndjson"
    source.write_text("".join(f'{{"n":{n}}}\n' for n in range(1, 5001)))
    with session_scope(db_url) as session:
        run = start_run(session, "bench", source)
        statement = BulkStatement(session, USER_DAY, COLUMNS, ("day", "user_login"))
        with WriteBehind(session) as writes:
            raw = RawRowWriter(session, run, chunk_rows=100, writes=writes)
            for n in range(1, 5001):
                raw.add(n, f'{{"n":{n}}}'.encode() if n % 2 else f'{{"n":{n}}}')
                if n % 1000 == 0:
                    day = dt.date(2026, 1, 1) + dt.timedelta(days=n // 1000)
                    writes.submit(statement.execute, [(day, "a", n, run.id, n)])
            raw.close()
        finish_run(run, 5000, 5)
        run_id = run.id
    with session_scope(db_url) as session:
        assert read_raw_row(session, run_id, 1) == '{"n":1}'
        assert read_raw_row(session, run_id, 4242) == '{"n":4242}'
        assert session.get(ImportRun, run_id).sha256 != ""  # type: ignore[union-attr]
        chunks = session.execute(text("select count(*) from raw_chunk")).scalar()
    assert chunks == 50
    assert [n for _, _, n in stored(db_url)] == [1000, 2000, 3000, 4000, 5000]


def test_converted_values_are_remembered_within_a_bound(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Millions of distinct timestamps must not grow memory: the memo starts afresh."""
    monkeypatch.setattr(bulk, "MEMO_LIMIT", 50)
    run_id = a_run(db_url, tmp_path)
    base = dt.datetime(2026, 1, 1)
    with session_scope(db_url) as session:
        statement = BulkStatement(session, WORK_ITEM, ITEM_COLUMNS, ("id",))
        for batch in range(4):
            statement.execute(
                [
                    (
                        f"id-{n}",
                        "jira",
                        f"K-{n}",
                        "issue",
                        None,
                        "Done",
                        "done",
                        None,
                        None,
                        None,
                        base + dt.timedelta(minutes=n),
                        None,
                        None,
                        1.5,
                        None,
                        None,
                        None,
                        run_id,
                    )
                    for n in range(batch * 100, batch * 100 + 100)
                ]
            )
        memos = [c for _, c in statement.converters if isinstance(c, bulk.Memo)]
        assert all(len(memo) <= 51 for memo in memos)
        stamps = session.execute(text("select created_at from work_item order by key")).scalars()
        assert len(list(stamps)) == 400
    assert bulk.Memo(str)[dt.date(2026, 1, 2)] == "2026-01-02"
