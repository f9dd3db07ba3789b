"""Copy a built benchmark world from a SQLite file into an empty PostgreSQL database.

Filling 100,000 people through `report_data.build` on PostgreSQL writes ~20 million rows
through ORM-sized inserts (estimated at about two hours on the benchmark machine); the same
rows already sit in the SQLite world that `bench/release_pages.py` built. This copies them
table by table with PostgreSQL's COPY, so the PostgreSQL benchmark runs on exactly the same
world in minutes. Both sides are first brought to this checkout's migration head, so the
tables match column for column.

    python bench/copy_world.py SQLITE_FILE POSTGRESQL_URL

Values are copied as SQLite stores them (ISO dates and times, 0/1 booleans, JSON text, enum
names): PostgreSQL parses each by its column's type, so nothing is converted in Python.
Foreign-key triggers are off for the copy (`session_replication_role = replica`, which needs
the superuser the benchmark's throwaway server gives), because a self-referencing table such
as `team` may list a child before its parent.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy import Integer, Table
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gaplens.db.tables  # noqa: F401  (registers every table on Base.metadata)
from gaplens.db.base import Base
from gaplens.db.migrate import upgrade

BATCH = 50_000


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string (psycopg takes no driver prefix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _serial_column(table: Table) -> str | None:
    """The integer primary key whose sequence must move past the copied ids, if any."""
    keys = list(table.primary_key.columns)
    if (
        len(keys) == 1
        and isinstance(keys[0].type, Integer)
        and keys[0].autoincrement
        in (
            True,
            "auto",
        )
    ):
        return keys[0].name
    return None


def copy_table(source: sqlite3.Connection, target: psycopg.Connection, table: Table) -> int:
    """COPY every row of `table`; returns the number of rows."""
    names = [column.name for column in table.columns]
    quoted = ", ".join(f'"{name}"' for name in names)
    rows = source.execute(f'SELECT {quoted} FROM "{table.name}"')
    copied = 0
    with target.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            while batch := rows.fetchmany(BATCH):
                for row in batch:
                    copy.write_row(row)
                copied += len(batch)
        serial = _serial_column(table)
        if serial and copied:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{serial}'), "
                f'(SELECT max("{serial}") FROM "{table.name}"))'
            )
    return copied


def copy_world(sqlite_file: Path, url: str) -> dict[str, int]:
    """Copy every table of the SQLite world at `sqlite_file` into the database at `url`."""
    upgrade(f"sqlite:///{sqlite_file}")
    upgrade(url)
    source = sqlite3.connect(sqlite_file)
    counts: dict[str, int] = {}
    with psycopg.connect(_libpq(url)) as target:
        target.execute("SET session_replication_role = replica")
        target.execute("SET TIME ZONE 'UTC'")
        for table in Base.metadata.sorted_tables:
            target.execute(f'TRUNCATE "{table.name}" CASCADE')
        for table in Base.metadata.sorted_tables:
            started = time.perf_counter()
            counts[table.name] = copy_table(source, target, table)
            if counts[table.name] >= 100_000:
                took = time.perf_counter() - started
                print(f"  {table.name}: {counts[table.name]:,} rows in {took:.0f} s", flush=True)
        target.commit()
        target.autocommit = True
        target.execute("ANALYZE")  # planner statistics, as autovacuum would gather them
    source.close()
    return counts


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    started = time.perf_counter()
    counts = copy_world(Path(sys.argv[1]), sys.argv[2])
    took = time.perf_counter() - started
    print(f"copied {sum(counts.values()):,} rows in {len(counts)} tables in {took:.0f} s")


if __name__ == "__main__":
    main()
