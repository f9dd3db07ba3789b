"""The bulk write path under every import: new rows, existing keys, repeats, failures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, select, text
from sqlalchemy.exc import IntegrityError

import gaplens.imports.bulk as bulk
from gaplens.db.engine import session_scope
from gaplens.imports.bulk import BulkStatement, WriteBehind
from gaplens.imports.models import ImportRun
from gaplens.imports.raw import RawRowWriter, chunk_text, read_raw_row
from gaplens.imports.service import finish_run, start_run
from gaplens.telemetry.tools import CopilotUserDay
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
    """Millions of distinct days must not grow memory: the memo starts afresh."""
    monkeypatch.setattr(bulk, "MEMO_LIMIT", 50)
    run_id = a_run(db_url, tmp_path)
    base = dt.date(2020, 1, 1)
    with session_scope(db_url) as session:
        statement = BulkStatement(session, USER_DAY, COLUMNS, ("day", "user_login"))
        for batch in range(4):
            statement.execute(
                [
                    (base + dt.timedelta(days=n), "a", n, run_id, n)
                    for n in range(batch * 100, batch * 100 + 100)
                ]
            )
        memos = [c for _, c in statement.converters if isinstance(c, bulk.Memo)]
        assert memos if session.get_bind().dialect.name == "sqlite" else not memos
        assert all(len(memo) <= 51 for memo in memos)
    assert [n for _, _, n in stored(db_url)] == list(range(400))
    assert bulk.Memo(str)[dt.date(2026, 1, 2)] == "2026-01-02"


def test_bulk_timestamps_are_stored_exactly_as_sqlalchemy_stores_them(db_url: str, tmp_path: Path):
    """SQL compares stored text on SQLite: the bulk path must write SQLAlchemy's very bytes."""
    run_id = a_run(db_url, tmp_path)
    stamps = [dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(999, 12, 31, 23, 59, 59, 1)]

    def item(key: str, created: dt.datetime) -> dict[str, object]:
        values = dict.fromkeys(ITEM_COLUMNS) | {"id": key, "key": key, "created_at": created}
        return (
            values
            | {"source": "jira", "kind": "issue", "status": "Done"}
            | {"import_run_id": run_id}
        )

    with session_scope(db_url) as session:
        statement = BulkStatement(session, WORK_ITEM, ITEM_COLUMNS, ("id",))
        for n, stamp in enumerate(stamps):
            statement.execute([tuple(item(f"bulk-{n}", stamp).values())])
            session.execute(WORK_ITEM.insert().values(item(f"orm-{n}", stamp)))
        by_id = dict(
            session.execute(text("select id, cast(created_at as text) from work_item")).all()
        )
    for n in range(len(stamps)):
        assert by_id[f"bulk-{n}"] == by_id[f"orm-{n}"]


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.text(alphabet="ab\n\r\x1e é\\", max_size=8),
            st.text(alphabet="ab\n\x1e \\", max_size=8).map(str.encode),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_chunk_is_its_lines_escaped_one_by_one(lines: list[str | bytes]):
    """The chunk-at-a-time escaping gives exactly the line-by-line result it replaces."""
    one_by_one = b"\n".join(
        (line.encode() if isinstance(line, str) else line).replace(b"\n", b"\\n") for line in lines
    )
    assert chunk_text(lines) == one_by_one


def test_fewer_collections_while_importing_and_the_setting_restored_after():
    import gc

    before = gc.get_threshold()
    with bulk.fewer_collections():
        raised = gc.get_threshold()
        assert raised[0] >= bulk.YOUNG_OBJECTS and raised[1:] == before[1:]
        with bulk.fewer_collections():  # a second import at the same time
            assert gc.get_threshold() == raised
        assert gc.get_threshold() == raised  # the first is still running
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), bulk.fewer_collections():
        raise RuntimeError("an import that fails")
    assert gc.get_threshold() == before


def test_binary_copy_only_when_every_column_has_a_binary_format():
    from sqlalchemy import Column, MetaData, Numeric, String
    from sqlalchemy import Table as CoreTable
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    types = bulk._binary_copy_types(WORK_ITEM, ITEM_COLUMNS, dialect)
    assert types is not None and types[ITEM_COLUMNS.index("created_at")] == "timestamp"
    assert types[ITEM_COLUMNS.index("story_points")] == "float8"
    odd = CoreTable("odd", MetaData(), Column("k", String(3)), Column("amount", Numeric(10, 2)))
    assert bulk._binary_copy_types(odd, ("k", "amount"), dialect) is None
