"""Loading the organisation's work items in a second process while the first goes on (the
measured release build: persons and usage days first).

Fetching a million work items is mostly the database driver creating Python floats and
tuples, which holds the GIL: two threads are slower than one, so the second core is used
by a child process. The parent starts it as soon as the build knows its months, goes on
with everything that needs no work rows (persons, usage days, the release bookkeeping),
and waits only when a figure first reads them (`MeasuredData` keeps them pending). The
arrays come back pickled as raw buffers.

The child path is taken only when it is safe and can help, otherwise nothing changes:
- a process with one thread (see the start method below);
- a file or server database (an in-memory SQLite database exists in one process only);
- at least `min_items` work items (a bounded count: it stops at the threshold), since a
  process costs more than it saves on a small table;
- no uncommitted writes in the caller's transaction, asked of the database itself rather
  than tracked by session events (which miss Core statements): SQLite's
  `in_transaction` (its driver opens a transaction only for a write), PostgreSQL's
  `txid_current_if_assigned()` (an id is assigned at the first write). A child sees only
  committed data, so with writes pending it would compute another report.
On PostgreSQL the child imports the parent's snapshot (`pg_export_snapshot()` then
`SET TRANSACTION SNAPSHOT`), so both read the same database state; SQLite has no such
thing, but the parent holds no write transaction either (checked above), so both read
the committed state.

Start method (measured on the benchmark's 1.2M items, 2 cores, from a process that had
imported the report): `fork` started the child in 0.01-0.02 s, as it inherits the imported
modules, against a 2.0 s load. `spawn` took 1.8 s to start a child; a forkserver 1.8 s for
its first and, on Python 3.11, ~3 s for every later one on a busy machine, preloaded
modules or not, because each of its children re-imports the main module (3.11 never
preloads it). So the child is forked, and only from a process with a single thread (the
CLI, the benchmark, a test worker): forking a process whose other threads may hold a lock
(the web app's worker threads) can leave that lock held forever in the child, and the
other start methods cost more than the load itself, so a multi-threaded process loads in
process. The child never touches connections it inherited (closing one would end the
parent's PostgreSQL session, or let SQLite checkpoint and remove the parent's WAL): it
opens its own engine from the parent's URL with no pool, keeps the inherited engines
referenced, and exits without finalisers as multiprocessing children do, so they are
never closed. (`engine.dispose(close=False)` would de-reference them and let garbage
collection close them.)

A child that fails, dies or outlives `timeout` seconds is ended and the parent loads the
rows itself, logging why: the report is the same either way, only slower.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from gaplens.metrics.queries import WorkRows, day_number
from gaplens.metrics.schemas import MetricScope
from gaplens.metrics.service import Settings, work_rows
from gaplens.work.models import WorkItem

MIN_WORK_ITEMS = 100_000
"""Below this many work items in the database the rows are loaded in process."""
TIMEOUT_SECONDS = 600.0
"""A child still loading after this long is ended and the rows are loaded in process."""

CHILD_SHARE = {"sqlite": 0.75, "postgresql": 1.0}
"""The share of the persons whose work items the child loads; this process loads the rest
when it first needs them, instead of waiting. On SQLite the rows come person by person
(the plan walks the persons and each one's items by index), so two person ranges
concatenated are exactly one load's rows, in its order; the report computes ~1.3 s of
other sections first and the child's load of everyone took ~2.7 s on two busy cores,
hence 3/4. PostgreSQL's planner need not return the rows person by person (it may scan
the table and hash the persons), so a split could reorder the rows, and floating-point sums
with them: there the child loads all of them."""

log = logging.getLogger(__name__)

_SNAPSHOT_ID = re.compile(r"^[0-9A-Fa-f-]+$")


@dataclass(frozen=True)
class _Request:
    url: str
    snapshot: str | None
    scope: MetricScope
    settings: Settings
    share: float
    earliest: dt.date | None = None
    adopted: dict[str, dt.date] | None = None


def in_process_only(session: Session, min_items: int = MIN_WORK_ITEMS) -> str | None:
    """Why the work rows must be loaded in this process, or None if a child may load them."""
    if threading.active_count() != 1:
        return "this process has other threads"
    bind = session.get_bind()
    url = bind.engine.url
    dialect = bind.dialect.name
    if dialect == "sqlite":
        if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
            return "in-memory SQLite database"
    elif dialect != "postgresql":
        return f"no prefetch for {dialect}"
    if session.new or session.dirty or session.deleted:
        return "the session has unflushed changes"
    connection = session.connection()
    if dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is None or getattr(raw, "in_transaction", True):
            return "the transaction has uncommitted writes"
    elif connection.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None:
        return "the transaction has uncommitted writes"
    capped = select(WorkItem.id).limit(max(min_items, 1)).subquery()
    items = session.scalar(select(func.count()).select_from(capped)) or 0
    if items < min_items:
        return f"fewer than {min_items} work items"
    return None


def _export_snapshot(session: Session) -> str | None:
    """The parent transaction's snapshot for the child to import (PostgreSQL only). Not in a
    savepoint (PostgreSQL exports only from the top-level transaction), so a server in
    recovery (a standby, which may refuse) is not asked rather than caught failing; the
    child of a standby then reads the latest replayed state, as the parent's next
    statement would under READ COMMITTED."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = session.connection()
    if connection.execute(text("SELECT pg_is_in_recovery()")).scalar():
        return None
    return str(connection.execute(text("SELECT pg_export_snapshot()")).scalar_one())


def _child(request: _Request, sender: Connection) -> None:
    """Runs in the child: load the rows with its own engine, send them or the error."""
    try:
        engine = create_engine(request.url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    )
                    if request.snapshot is not None:
                        if not _SNAPSHOT_ID.match(request.snapshot):
                            raise ValueError(f"not a snapshot id: {request.snapshot!r}")
                        connection.execute(text(f"SET TRANSACTION SNAPSHOT '{request.snapshot}'"))
                else:
                    connection.exec_driver_sql("PRAGMA query_only = ON")
                with Session(bind=connection) as session:
                    result = work_rows(
                        session,
                        request.scope,
                        request.settings,
                        request.share,
                        earliest=request.earliest,
                        adopted=request.adopted,
                    )
                connection.rollback()
        finally:
            engine.dispose()
        sender.send(("rows", result))
    except BaseException:  # reported to the parent, which falls back
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


class WorkPrefetch:
    """Work rows a child process is loading for one scope and settings."""

    def __init__(
        self, request: _Request, process: BaseProcess, receiver: Connection, timeout: float
    ) -> None:
        self._request = request
        self._process = process
        self._receiver = receiver
        self._timeout = timeout
        self._started = time.perf_counter()
        self.used_child = False
        """Whether `take` returned the child's rows (tests and logs read this)."""

    @property
    def share(self) -> float:
        """The share of the scope's persons (the first ones, in id order) whose work items
        the child loads; the caller loads the rest."""
        return self._request.share

    def take(
        self,
        scope: MetricScope,
        settings: Settings,
        since: dt.date,
        until: dt.date,
        persons: tuple[int, int] | None,
    ) -> WorkRows | None:
        """The child's rows if it loaded exactly what the caller would (the same scope,
        as-of day and window, span [since, until) and person range); None if it failed,
        died, timed out or loaded something else, and the caller then loads them itself."""
        waited = time.perf_counter()
        outcome = self._receive()
        log.debug(
            "work prefetch: waited %.2f s for the child, %.2f s after its start",
            time.perf_counter() - waited,
            time.perf_counter() - self._started,
        )
        self.close()
        if outcome is None:
            return None
        kind, payload = outcome
        if kind != "rows":
            log.warning("work prefetch failed, loading in process:\n%s", payload)
            return None
        child_since, child_until, child_persons, rows = payload
        wanted = self._request
        if (
            scope != wanted.scope
            or settings.as_of != wanted.settings.as_of
            or settings.window_days != wanted.settings.window_days
            or (child_since, child_until, child_persons)
            != (float(day_number(since)), float(day_number(until)), persons)
        ):
            log.warning("work prefetch loaded another span, loading in process")
            return None
        assert isinstance(rows, WorkRows)
        self.used_child = True
        log.debug(
            "work prefetch: %d work items from child %s", rows.created.size, self._process.pid
        )
        return rows

    def _receive(self) -> tuple[str, Any] | None:
        """Wait for the child's message, checking it is alive: never hangs."""
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                if self._receiver.poll(min(0.25, max(deadline - time.monotonic(), 0.0))):
                    message: tuple[str, Any] = self._receiver.recv()
                    return message
            except (EOFError, OSError):
                log.warning("work prefetch child ended without a result, loading in process")
                return None
            if not self._process.is_alive() and not self._receiver.poll(0):
                log.warning(
                    "work prefetch child exited (%s) without a result, loading in process",
                    self._process.exitcode,
                )
                return None
            if time.monotonic() >= deadline:
                log.warning(
                    "work prefetch timed out after %.0f s, loading in process", self._timeout
                )
                return None

    def close(self) -> None:
        """End the child if it still runs, and reap it."""
        self._receiver.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    def __enter__(self) -> WorkPrefetch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def start_work_prefetch(
    session: Session,
    scope: MetricScope,
    settings: Settings,
    *,
    min_items: int = MIN_WORK_ITEMS,
    timeout: float = TIMEOUT_SECONDS,
    share: float | None = None,
    earliest: dt.date | None = None,
    adopted: dict[str, dt.date] | None = None,
) -> WorkPrefetch | None:
    """Start loading `load_measured(session, scope, ..., earliest=)`'s work rows in a child
    process, or return None (and change nothing) when they should be loaded in process. Pass
    the result to `load_measured(prefetch=...)`, and close it when the load is done.
    `adopted`: adoption dates derived in this transaction, which the child cannot see."""
    reason = in_process_only(session, min_items)
    if reason is not None:
        log.debug("work rows load in process: %s", reason)
        return None
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    if share is None:
        share = CHILD_SHARE.get(session.get_bind().dialect.name, 1.0)
    request = _Request(url, _export_snapshot(session), scope, settings, share, earliest, adopted)
    context = ForkContext()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(request, sender), name="gaplens-work-prefetch", daemon=True
    )
    process.start()
    sender.close()
    return WorkPrefetch(request, process, receiver, timeout)
