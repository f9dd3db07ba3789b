"""Batched inserts and upserts at the speed of the database driver.

SQLAlchemy's per-row parameter handling costs more than SQLite's own insert, which matters
for million-row exports. A `BulkStatement` is compiled once for the session's dialect and
then executed with plain value sequences through the driver's executemany; only the type
conversions the dialect really needs (datetimes on SQLite) are applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import DateTime, Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class BulkStatement:
    """INSERT, or INSERT ... ON CONFLICT (`conflict`) DO UPDATE, for the given columns.

    The upsert replaces every non-key column, so a re-imported row ends exactly as the file
    says; it works unchanged on SQLite and PostgreSQL.
    """

    def __init__(
        self,
        session: Session,
        table: Table,
        columns: Sequence[str],
        conflict: Sequence[str] = (),
    ) -> None:
        self.session = session
        self.columns = tuple(columns)
        self.table = table
        self.conflict = tuple(conflict)
        dialect = session.get_bind().dialect
        statement: Any
        self.plain: BulkStatement | None = None
        if not conflict:
            statement = insert(table)
        else:
            if len(self.conflict) == 1:
                self.plain = BulkStatement(session, table, columns)
                self.key_position = self.columns.index(self.conflict[0])
            if dialect.name == "postgresql":
                statement = postgresql.insert(table)
            elif dialect.name == "sqlite":
                statement = sqlite.insert(table)
            else:  # pragma: no cover - gaplens supports these two
                raise NotImplementedError(f"upsert on {dialect.name}")
            statement = statement.on_conflict_do_update(
                index_elements=list(conflict),
                set_={c: statement.excluded[c] for c in self.columns if c not in conflict},
            )
        compiled = statement.compile(dialect=dialect, column_keys=list(self.columns))
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)
        order = list(compiled.positiontup or self.columns) if self.positional else self.columns
        index = {name: position for position, name in enumerate(self.columns)}
        self.order = [index[name] for name in order]
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(self.columns):
            column_type = table.c[name].type
            processor: Callable[[Any], Any] | None
            if dialect.name == "sqlite" and isinstance(column_type, DateTime):
                processor = sqlite_datetime
            else:
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.converters.append((position, processor))

    def execute(self, rows: Iterable[Sequence[Any]]) -> int:
        """Writes rows given as value sequences in `columns` order; returns how many.

        An upsert first asks which keys exist and plainly inserts the others: with foreign
        keys on, SQLite's ON CONFLICT path costs nearly twice a plain insert, and a first
        import (the big one) has no conflicts at all.
        """
        if self.plain is None:
            return self._execute(rows)
        batch = list(rows)
        if not batch:
            return 0
        position = self.key_position
        column = self.table.c[self.conflict[0]]
        keys = [row[position] for row in batch]
        existing = set(self.session.execute(select(column).where(column.in_(keys))).scalars())
        if not existing:
            return self.plain._execute(batch)
        self.plain._execute(row for row in batch if row[position] not in existing)
        self._execute(row for row in batch if row[position] in existing)
        return len(batch)

    def _execute(self, rows: Iterable[Sequence[Any]]) -> int:
        prepared: list[Any] = []
        converters = self.converters
        order = self.order
        if self.positional and order == list(range(len(order))):
            for row in rows:
                values = list(row)
                for position, convert in converters:
                    value = values[position]
                    if value is not None:
                        values[position] = convert(value)
                prepared.append(tuple(values))
            rows = ()
        for row in rows:
            values = list(row)
            for position, convert in converters:
                value = values[position]
                if value is not None:
                    values[position] = convert(value)
            if self.positional:
                prepared.append(tuple([values[i] for i in order]))
            else:
                prepared.append(dict(zip(self.columns, values, strict=True)))
        if prepared:
            self.session.connection().exec_driver_sql(self.sql, prepared)
        return len(prepared)


def sqlite_datetime(value: dt.datetime) -> str:
    """The text SQLAlchemy stores for a DateTime on SQLite, made without its per-row overhead.

    Must stay byte-identical (microseconds always written) so comparisons in SQL agree.
    """
    text = value.isoformat(" ")
    return text if value.microsecond else text + ".000000"
