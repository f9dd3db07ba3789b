"""Batched inserts and upserts at the speed of the database driver.

SQLAlchemy's per-row parameter handling costs more than SQLite's own insert, which matters
for million-row exports. A `BulkStatement` is compiled once for the session's dialect and
then executed with plain value sequences through the driver: `executemany` on SQLite, `COPY`
on PostgreSQL. Only the type conversions the dialect really needs (dates and datetimes as
text on SQLite) are applied.
"""

from __future__ import annotations

import datetime as dt
import gc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter, methodcaller
from typing import Any

from sqlalchemy import Date, DateTime, Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

PAGE_CACHE_KIB = 65_536
QUEUE_BATCHES = 4
MEMO_LIMIT = 20_000
"""Distinct dates/datetimes remembered per statement: exports repeat them row after row."""


class BulkStatement:
    """INSERT, or INSERT ... ON CONFLICT (`conflict`) DO UPDATE, for the given columns.

    The upsert replaces every non-key column, so a re-imported row ends exactly as the file
    says; it works unchanged on SQLite and PostgreSQL. A batch is first written as new rows
    (SQLite: `ON CONFLICT DO NOTHING`, counting what went in; PostgreSQL: `COPY` inside a
    savepoint) and upserted only when some of its keys already existed: a first import, the
    big one, has no conflicts, and the upsert path costs about twice a plain insert.
    """

    def __init__(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str] = (),
        binary: bool = True,
    ) -> None:
        """`binary`: COPY in binary on PostgreSQL when the column types allow; False for a
        caller whose rows hold some values as text (a date as 'YYYY-MM-DD')."""
        self.session = session
        self.columns = tuple(columns)
        self.table = table
        self.conflict = tuple(conflict)
        dialect = session.get_bind().dialect
        self.dialect = dialect.name
        if dialect.name not in ("postgresql", "sqlite"):  # pragma: no cover - the two we support
            raise NotImplementedError(f"bulk writes on {dialect.name}")
        self.sql, self.positional, self.order = _compiled(session, table, self.columns)
        self.new_sql: str | None = None
        self.replaced = False
        """Whether the last `execute` met a key that already existed (and so upserted)."""
        self._key: Callable[[Sequence[Any]], Any] | None = None
        if self.conflict:
            self._key = itemgetter(*(self.columns.index(c) for c in self.conflict))
            module: Any = postgresql if dialect.name == "postgresql" else sqlite
            upsert = module.insert(table)
            upsert = upsert.on_conflict_do_update(
                index_elements=list(self.conflict),
                set_={c: upsert.excluded[c] for c in self.columns if c not in self.conflict},
            )
            new_rows = module.insert(table).on_conflict_do_nothing(
                index_elements=list(self.conflict)
            )
            self.new_sql = _compiled(session, table, self.columns, new_rows)[0]
            self.sql = _compiled(session, table, self.columns, upsert)[0]
        quote = dialect.identifier_preparer.quote
        self.copy_types = (
            _binary_copy_types(table, self.columns, dialect)
            if dialect.name == "postgresql" and binary
            else None
        )
        """PostgreSQL type names to COPY the columns as binary, or None for text COPY."""
        self.copy_text_sql = (
            f"COPY {quote(table.name)} ({', '.join(quote(c) for c in self.columns)}) FROM STDIN"
            if dialect.name == "postgresql"
            else None
        )
        """COPY in text format, for blocks of COPY text (`copy_text`)."""
        self.copy_sql = (
            self.copy_text_sql + " (FORMAT BINARY)"
            if self.copy_text_sql is not None and self.copy_types
            else self.copy_text_sql
        )
        """COPY as `write_row` uses it: binary when `copy_types` allows, else text."""
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(self.columns):
            column_type = table.c[name].type
            processor: Callable[[Any], Any] | None
            if dialect.name == "sqlite" and isinstance(column_type, DateTime):
                # Not remembered: a timestamp rarely repeats, and a miss costs more than this.
                processor = sqlite_datetime
            elif dialect.name == "sqlite" and isinstance(column_type, Date):
                processor = Memo(dt.date.isoformat)
            else:
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.converters.append((position, processor))
        self._convert_rows: Callable[[Sequence[Sequence[Any]]], list[Any]] | None = None

    def execute(self, rows: Iterable[Sequence[Any]]) -> int:
        """Writes rows given as value sequences in `columns` order; returns how many.

        A batch with a key is written in key order: the index pages it touches are then
        visited in order, which at a million rows makes inserts of random keys (uuid5 ids)
        markedly faster. Keys repeated within one batch end as their last row (the sort is
        stable and upserts run in order)."""
        batch = rows if isinstance(rows, list) else list(rows)
        self.replaced = False
        if not batch:
            return 0
        if self._key is not None:
            batch = sorted(batch, key=self._key)
        if not self.conflict:
            if self.copy_sql is not None:
                self._copy(batch)
            else:
                self._run(self.sql, batch)
            return len(batch)
        if self.copy_sql is not None:
            if self._copy_new(batch):
                return len(batch)
        elif self.new_sql is not None and self._run(self.new_sql, batch) == len(batch):
            return len(batch)
        self.replaced = True
        self._run(self.sql, batch)
        return len(batch)

    def _prepared(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Converted values: tuples in bind order, or dicts for a named paramstyle."""
        converters = self.converters
        order = self.order
        if self.positional:
            if self._convert_rows is None:
                self._convert_rows = _row_converter(len(self.columns), converters, order)
            return self._convert_rows(rows)
        prepared: list[Any] = []
        append = prepared.append
        for row in rows:
            if converters:
                values = list(row)
                for position, convert in converters:
                    value = values[position]
                    if value is not None:
                        values[position] = convert(value)
            else:
                values = row  # type: ignore[assignment]
            append(dict(zip(self.columns, values, strict=True)))
        return prepared

    def _run(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        result = self.session.connection().exec_driver_sql(sql, self._prepared(rows))
        return int(result.rowcount)

    def _copy(self, rows: Sequence[Sequence[Any]]) -> None:
        """COPY the rows in: PostgreSQL's bulk path, several times faster than executemany.

        Driver errors are raised as SQLAlchemy's, as every other statement's are."""
        import psycopg

        try:
            self._copy_rows(rows)
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as error:
            raise DBAPIError.instance(self.copy_sql, None, error, psycopg.Error) from error

    def _copy_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        assert self.copy_sql is not None
        converters = self.converters
        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:  # type: ignore[union-attr]
            if self.copy_types:
                copy.set_types(self.copy_types)
            write = copy.write_row
            for row in rows:
                if converters:
                    values = list(row)
                    for position, convert in converters:
                        if values[position] is not None:
                            values[position] = convert(values[position])
                    write(values)
                else:
                    write(row)

    def copy_text(self, block: str) -> None:
        """COPY one block of COPY text in (tab-separated lines, values already escaped),
        raising driver errors as SQLAlchemy's: for a caller that formats plain rows faster
        than psycopg's `write_row` takes them one by one (PostgreSQL only)."""
        import psycopg

        assert self.copy_text_sql is not None
        driver = self.session.connection().connection.driver_connection
        try:
            with driver.cursor() as cursor, cursor.copy(self.copy_text_sql) as copy:  # type: ignore[union-attr]
                copy.write(block)
        except psycopg.Error as error:
            raise DBAPIError.instance(self.copy_text_sql, None, error, psycopg.Error) from error

    def _copy_new(self, rows: Sequence[Sequence[Any]]) -> bool:
        """COPY in a savepoint; False (nothing written) when a key already exists."""
        from psycopg import errors

        driver = self.session.connection().connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SAVEPOINT gaplens_bulk")
            try:
                self._copy(rows)
            except errors.UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT gaplens_bulk")
                cursor.execute("RELEASE SAVEPOINT gaplens_bulk")
                return False
            cursor.execute("RELEASE SAVEPOINT gaplens_bulk")
        return True


class WriteBehind:
    """Runs an import's database writes in order on one worker thread, on PostgreSQL.

    There the database does its share of the work (index entries, foreign-key checks) in
    its own process; with the writes on a worker thread it does so while the import parses
    the next batch, instead of the import waiting for each batch. Everything runs in the
    caller's session and transaction: once the writer is started, the caller touches the
    session only through `submit` until `close` (or leaving the `with` block) has waited for
    every write. The queue holds at most `QUEUE_BATCHES` batches, so memory stays flat.

    On SQLite writes run inline: its driver lets go of the GIL for every row it steps, and a
    parsing thread that holds the GIL would stall each of those rows.
    """

    def __init__(self, session: Session, threaded: bool = True) -> None:
        self._threaded = threaded and session.get_bind().dialect.name == "postgresql"
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue(
            QUEUE_BATCHES
        )
        self._error: BaseException | None = None
        self._stop = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
        else:  # the import failed: stop writing and wait, so the caller can roll back
            self._stop = True
            self._finish()

    def submit(self, write: Callable[..., Any], *args: Any) -> None:
        """Run `write(*args)` after every write submitted before it."""
        if self._error is not None:
            raise self._error
        if not self._threaded:
            write(*args)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="gaplens-writes", daemon=True)
            self._thread.start()
        self._queue.put((write, args))

    def close(self) -> None:
        """Wait for every write; raise the first one's error, if any."""
        self._finish()
        if self._error is not None:
            raise self._error

    def _finish(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            if self._stop or self._error is not None:
                continue  # drain: nothing more is written after a failure
            write, args = task
            try:
                write(*args)
            except BaseException as error:  # re-raised in the caller's thread
                self._error = error


_BINARY_COPY_TYPES = {
    "VARCHAR": "varchar",
    "TEXT": "text",
    "SMALLINT": "int2",
    "INTEGER": "int4",
    "BIGINT": "int8",
    "FLOAT": "float8",
    "DOUBLE PRECISION": "float8",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP WITHOUT TIME ZONE": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BYTEA": "bytea",
}
"""Column types (as SQLAlchemy writes them for PostgreSQL) that psycopg COPYs as binary."""


def _binary_copy_types(table: Table, columns: Sequence[str], dialect: Any) -> list[str] | None:
    """The PostgreSQL type of each column, when all have a binary COPY format psycopg writes.

    Binary COPY spares psycopg formatting every value as text and the server parsing it back
    (timestamps, numbers): about a seventh of the client's cost per row, measured. None when
    any column has another type (the statement then COPYs text)."""
    types = []
    for name in columns:
        compiled = table.c[name].type.compile(dialect=dialect).upper()
        if compiled == "FLOAT" or compiled.startswith("FLOAT("):
            precision = getattr(table.c[name].type, "precision", None)
            compiled = "FLOAT" if precision is None or precision > 24 else "REAL"
        found = _BINARY_COPY_TYPES.get(compiled.split("(")[0].strip())
        if found is None:
            return None
        types.append(found)
    return types


def _row_converter(
    width: int, converters: Sequence[tuple[int, Callable[[Any], Any]]], order: Sequence[int]
) -> Callable[[Sequence[Sequence[Any]]], list[Any]]:
    """A function turning rows of `width` values into tuples in bind `order` (positions in
    the row) with `converters` applied.

    Generated once per statement as one list comprehension that unpacks each row (a row of
    another width raises ValueError), converts and reorders in place: no Python call per
    row, and a remembered value (`Memo`) is one subscript. At a million rows this is several
    times cheaper than converting value by value."""
    names = [f"v{i}" for i in range(width)]
    namespace: dict[str, Any] = {}
    values = list(names)
    for position, convert in converters:
        name = names[position]
        namespace[f"f{position}"] = convert
        if isinstance(convert, Memo):
            values[position] = f"f{position}[{name}]"  # maps None to None itself
        else:
            values[position] = f"None if {name} is None else f{position}({name})"
    unpacked = ", ".join(names) + ("," if width == 1 else "")
    bound = ", ".join(values[position] for position in order)
    source = f"def convert(rows):\n    return [({bound},) for {unpacked} in rows]\n"
    exec(source, namespace)  # built only from column positions, no outside text
    function: Callable[[Sequence[Sequence[Any]]], list[Any]] = namespace["convert"]
    return function


YOUNG_OBJECTS = 50_000
"""Net new container objects between two young-generation collections during an import."""
_collections_lock = threading.Lock()
_collections_users = 0
_collections_before: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles less often while an import runs.

    Each row makes a dozen short-lived containers (fields, record, tuples) that live until
    their batch is written; at Python's default (a collection every 700 net new objects) the
    collector ran about 2,000 times per 200,000 Jira rows, traversing every one of them at
    least once, for about a tenth of the import's time. Batches free what they made, so the
    net count stays far below YOUNG_OBJECTS and cycles (if any) are still collected: memory
    stays flat. Process-wide, so nested and concurrent imports share one setting and the
    last to finish restores the previous one."""
    global _collections_users, _collections_before
    with _collections_lock:
        if _collections_users == 0:
            _collections_before = gc.get_threshold()
            gc.set_threshold(max(YOUNG_OBJECTS, _collections_before[0]), *_collections_before[1:])
        _collections_users += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_users -= 1
            if _collections_users == 0 and _collections_before is not None:
                gc.set_threshold(*_collections_before)
                _collections_before = None


@contextmanager
def sqlite_page_cache(session: Session, kib: int = PAGE_CACHE_KIB) -> Iterator[None]:
    """A bigger SQLite page cache for the duration of a bulk import, so the index pages that
    random keys hit stay in memory; a fixed size, so memory stays flat. No-op elsewhere."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")


def _compiled(
    session: Session, table: Table, columns: Sequence[str], statement: Any = None
) -> tuple[str, bool, list[int]]:
    """SQL text, whether it binds positionally, and the bind order as positions in columns."""
    dialect = session.get_bind().dialect
    compiled = (statement if statement is not None else insert(table)).compile(
        dialect=dialect, column_keys=list(columns)
    )
    positional = bool(compiled.positional)
    names = list(compiled.positiontup or columns) if positional else list(columns)
    index = {name: position for position, name in enumerate(columns)}
    return str(compiled), positional, [index[name] for name in names]


class Memo(dict[Any, Any]):
    """`convert` remembering its results: dates repeat across millions of rows. None maps
    to None; `memo[value]` converts a value not seen yet. At most MEMO_LIMIT values are
    remembered (then it starts afresh), so memory stays flat however many rows pass."""

    def __init__(self, convert: Callable[[Any], str]) -> None:
        super().__init__({None: None})
        self.convert = convert

    def __missing__(self, value: Any) -> str:
        if len(self) >= MEMO_LIMIT:
            self.clear()
            self[None] = None
        text = self[value] = self.convert(value)
        return text

    def __call__(self, value: Any) -> str:
        return self[value]  # type: ignore[no-any-return]


sqlite_datetime: Callable[[dt.datetime], str] = methodcaller("isoformat", " ", "microseconds")
"""The text SQLAlchemy stores for a naive DateTime on SQLite (every bulk-written table's are
naive UTC), made in one C call instead of its per-row overhead. Must stay byte-identical
(microseconds always written) so comparisons in SQL agree; a test checks it does."""
