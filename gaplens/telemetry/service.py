"""AI-usage imports: raw rows -> tool tables -> the domain `ai_usage_day`, in one transaction.

Tool rows are keyed by what the export itself names (day and login, refresh date and UPN), and
written with a dialect upsert, so re-importing a file or a later export that overlaps an
earlier one replaces exactly the rows it names. People not in the directory keep their tool
rows and are reported; importing the file again after adding them resolves them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Date, Table, delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from gaplens.connectors.copilot_usage import (
    FORMAT_NAMES,
    CopilotOrgRecord,
    CopilotUsageReader,
    CopilotUserRecord,
)
from gaplens.connectors.m365_copilot import M365UsageReader
from gaplens.directory.identities import IdentityResolver
from gaplens.directory.models import IdentityKind
from gaplens.errors import ProblemCollector
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.telemetry.models import (
    ANY_APP,
    GITHUB_COPILOT,
    M365_APPS,
    M365_COPILOT,
    AiUsageDay,
    CopilotOrgDay,
    CopilotUserDay,
    M365UsageSnapshot,
)

BATCH_SIZE = 5000
USER_DAY = cast(Table, CopilotUserDay.__table__)
ORG_DAY = cast(Table, CopilotOrgDay.__table__)
SNAPSHOT = cast(Table, M365UsageSnapshot.__table__)
USAGE = cast(Table, AiUsageDay.__table__)
USAGE_KEY = ("person_id", "day", "tool", "app")
COPILOT_KIND = "copilot-usage"
M365_KIND = "m365-copilot"
IDE_APP = "ide"


class KeyedWriter:
    """Buffers rows by natural key and writes them in batches, replacing rows with that key.

    SQLite and PostgreSQL get `INSERT ... ON CONFLICT DO UPDATE` (one statement per batch);
    other databases delete the batch's keys, then insert. Duplicate keys within a batch keep
    the last row, as PostgreSQL cannot update one row twice in a statement.
    """

    def __init__(self, session: Session, table: Table, key: Sequence[str]) -> None:
        self.session = session
        self.table = table
        self.key = tuple(key)
        self.rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.written = 0
        self._statement = upsert_statement(session, table, self.key)
        self._driver_sql: str | None = None
        self._columns: list[tuple[str, bool]] = []
        dialect = session.get_bind().dialect
        if self._statement is not None and dialect.name == "sqlite":
            # The SQLite driver is fed tuples directly: SQLAlchemy's per-row parameter
            # processing costs more than the insert itself at millions of rows.
            compiled = self._statement.compile(dialect=dialect)
            dates = {c.name for c in table.columns if isinstance(c.type, Date)}
            self._driver_sql = str(compiled)
            self._columns = [(name, name in dates) for name in compiled.positiontup or ()]

    def add(self, key: tuple[Any, ...], row: dict[str, Any]) -> None:
        self.rows[key] = row
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows = list(self.rows.values())
        connection = self.session.connection()
        if self._statement is None:
            key_columns = [self.table.c[name] for name in self.key]
            keys = list(self.rows)
            for start in range(0, len(keys), 500):
                connection.execute(
                    delete(self.table).where(tuple_(*key_columns).in_(keys[start : start + 500]))
                )
            connection.execute(insert(self.table), rows)
        elif self._driver_sql is not None:
            params = [
                tuple(_iso(row[name]) if is_date else row[name] for name, is_date in self._columns)
                for row in rows
            ]
            connection.exec_driver_sql(self._driver_sql, params)
        else:
            connection.execute(self._statement, rows)
        self.written += len(rows)
        self.rows.clear()


def _iso(value: dt.date | None) -> str | None:
    """Dates as SQLAlchemy stores them in SQLite (ISO text)."""
    return None if value is None else value.isoformat()


def upsert_statement(session: Session, table: Table, key: Sequence[str]) -> Insert | None:
    """`INSERT ... ON CONFLICT (key) DO UPDATE` for the session's dialect, or None."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        lite = sqlite.insert(table)
        updates = {c.name: lite.excluded[c.name] for c in table.columns if c.name not in key}
        return lite.on_conflict_do_update(index_elements=list(key), set_=updates)
    if name == "postgresql":
        pg = postgresql.insert(table)
        updates = {c.name: pg.excluded[c.name] for c in table.columns if c.name not in key}
        return pg.on_conflict_do_update(index_elements=list(key), set_=updates)
    return None


def import_copilot_usage(
    session: Session, path: Path, progress: ProgressCallback | None = None
) -> ConnectorSummary:
    """Import any GitHub Copilot usage export (the format is detected); all or nothing."""
    problems = ProblemCollector(path.name)
    reader = CopilotUsageReader(path, problems)
    run = start_run(session, COPILOT_KIND, path)
    run_id = run.id
    raw = RawRowWriter(session, run)
    resolver = IdentityResolver.load(session, [IdentityKind.GITHUB])
    resolve = resolver.resolve
    users = KeyedWriter(session, USER_DAY, ("day", "user_login"))
    orgs = KeyedWriter(session, ORG_DAY, ("scope", "day"))
    usage = KeyedWriter(session, USAGE, USAGE_KEY)
    unresolved = 0
    since_progress = 0
    raw_row = 0  # a record's line, or one past the previous record's when they share a line
    for record, parsed in reader:
        if problems:
            if problems.count >= problems.limit:
                break
            continue  # keep validating to report every problem, but write nothing more
        raw_row = max(record.line, raw_row + 1)
        raw.add(raw_row, record.text)
        for item in parsed:
            if type(item) is CopilotUserRecord:
                users.add(
                    (item.day, item.user_login),
                    {
                        "day": item.day,
                        "user_login": item.user_login,
                        "user_id": item.user_id,
                        "interactions": item.interactions,
                        "code_generations": item.code_generations,
                        "code_acceptances": item.code_acceptances,
                        "loc_suggested": item.loc_suggested,
                        "loc_added": item.loc_added,
                        "used_agent": item.used_agent,
                        "used_chat": item.used_chat,
                        "features": item.features,
                        "import_run_id": run_id,
                        "source_row": raw_row,
                    },
                )
                person = resolve(item.user_login)
                if person is None:
                    unresolved += 1
                    continue
                usage.add(
                    (person, item.day, GITHUB_COPILOT, IDE_APP),
                    {
                        "person_id": person,
                        "day": item.day,
                        "tool": GITHUB_COPILOT,
                        "app": IDE_APP,
                        "interactions": item.interactions,
                        "suggestions": item.code_generations,
                        "acceptances": item.code_acceptances,
                        "loc_suggested": item.loc_suggested,
                        "loc_added": item.loc_added,
                        "import_run_id": run_id,
                    },
                )
            elif isinstance(item, CopilotOrgRecord):
                orgs.add((item.scope, item.day), _org_row(item, run_id, raw_row))
        since_progress += 1
        if progress is not None and since_progress >= BATCH_SIZE:
            since_progress = 0
            progress(reader.bytes_read)
    problems.raise_if_any()
    for writer in (users, orgs, usage):
        writer.flush()
    raw.close()
    forget_raw_of_same_file(session, COPILOT_KIND, run.sha256, run_id)
    written = users.written + orgs.written
    finish_run(run, reader.rows_read, written, unresolved)
    if progress is not None:
        progress(path.stat().st_size)
    kind = FORMAT_NAMES.get(reader.kind or "", "Copilot usage")
    detail = f"{kind}; {usage.written} person-days of AI usage"
    if orgs.written:
        detail = f"{kind}; {orgs.written} organisation-days"
    return ConnectorSummary(
        kind=COPILOT_KIND,
        source=path.name,
        rows_read=reader.rows_read,
        rows_written=written,
        rows_unresolved=unresolved,
        unresolved_note=resolver.unresolved_summary(),
        detail=detail,
    )


def _org_row(item: CopilotOrgRecord, run_id: int, raw_row: int) -> dict[str, Any]:
    return {
        "scope": item.scope,
        "day": item.day,
        "source_format": item.source_format,
        "active_users": item.active_users,
        "engaged_users": item.engaged_users,
        "weekly_active_users": item.weekly_active_users,
        "monthly_active_users": item.monthly_active_users,
        "monthly_active_chat_users": item.monthly_active_chat_users,
        "monthly_active_agent_users": item.monthly_active_agent_users,
        "interactions": item.interactions,
        "suggestions": item.suggestions,
        "acceptances": item.acceptances,
        "lines_suggested": item.lines_suggested,
        "lines_accepted": item.lines_accepted,
        "import_run_id": run_id,
        "source_row": raw_row,
    }


def import_m365_copilot(
    session: Session, path: Path, progress: ProgressCallback | None = None
) -> ConnectorSummary:
    """Import one Microsoft 365 Copilot user-detail export; all or nothing.

    Each export is a snapshot of last-activity dates. Every date any snapshot reports is a day
    the person was active in that app, so the domain rows of everyone in the file are rebuilt
    from all their snapshots: the result does not depend on the order exports are imported.
    """
    problems = ProblemCollector(path.name)
    reader = M365UsageReader(path, problems)
    run = start_run(session, M365_KIND, path)
    run_id = run.id
    raw = RawRowWriter(session, run)
    resolver = IdentityResolver.load(session, [IdentityKind.EMAIL])
    snapshots = KeyedWriter(session, SNAPSHOT, ("refresh_date", "upn"))
    touched: set[str] = set()
    unresolved = 0
    since_progress = 0
    raw_row = 0  # a record's line, or one past the previous record's when they share a line
    for row, text, record in reader:
        if problems:
            if problems.count >= problems.limit:
                break
            continue
        raw_row = max(row, raw_row + 1)
        raw.add(raw_row, text)
        if record is None:
            continue
        snapshots.add(
            (record.refresh_date, record.upn),
            {
                "refresh_date": record.refresh_date,
                "upn": record.upn,
                "display_name": record.display_name,
                "last_activity": record.last_activity,
                **record.apps,
                "import_run_id": run_id,
                "source_row": raw_row,
            },
        )
        person = resolver.resolve(record.upn)
        if person is None:
            unresolved += 1
        else:
            touched.add(person)
        since_progress += 1
        if progress is not None and since_progress >= BATCH_SIZE:
            since_progress = 0
            progress(reader.bytes_read)
    problems.raise_if_any()
    snapshots.flush()
    raw.close()
    forget_raw_of_same_file(session, M365_KIND, run.sha256, run_id)
    days = rebuild_m365_usage(session, resolver, touched, run_id)
    finish_run(run, reader.rows_read, snapshots.written, unresolved)
    if progress is not None:
        progress(path.stat().st_size)
    note = resolver.unresolved_summary()
    if reader.concealed:
        note += (
            f" — {reader.concealed} user names look concealed (hashed); turn off "
            "'Display concealed user, group, and site names in all reports' in the Microsoft "
            "365 admin centre (Settings > Org settings > Reports) before exporting"
        )
    return ConnectorSummary(
        kind=M365_KIND,
        source=path.name,
        rows_read=reader.rows_read,
        rows_written=snapshots.written,
        rows_unresolved=unresolved,
        unresolved_note=note,
        detail=f"{reader.format} user detail; {days} person-app-days of AI usage",
    )


def rebuild_m365_usage(
    session: Session, resolver: IdentityResolver, people: Iterable[str], run_id: int
) -> int:
    """Replace the Microsoft 365 domain rows of `people` with what all snapshots say."""
    wanted = set(people)
    if not wanted:
        return 0
    by_value = resolver.by_value
    upns = [
        upn
        for upn in session.scalars(select(M365UsageSnapshot.upn).distinct())
        if by_value.get(upn.lower()) in wanted
    ]
    connection = session.connection()
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        connection.execute(
            delete(AiUsageDay).where(
                AiUsageDay.tool == M365_COPILOT,
                AiUsageDay.person_id.in_(ids[start : start + 500]),
            )
        )
    columns = [M365UsageSnapshot.upn, M365UsageSnapshot.last_activity] + [
        getattr(M365UsageSnapshot, app) for app in M365_APPS
    ]
    rows: dict[tuple[str, Any, str], dict[str, Any]] = {}
    apps = (ANY_APP, *M365_APPS)
    for start in range(0, len(upns), 500):
        chunk = upns[start : start + 500]
        for snapshot in connection.execute(
            select(*columns).where(M365UsageSnapshot.upn.in_(chunk))
        ):
            person = by_value[snapshot[0].lower()]
            for app, day in zip(apps, snapshot[1:], strict=True):
                if day is not None:
                    rows[(person, day, app)] = {
                        "person_id": person,
                        "day": day,
                        "tool": M365_COPILOT,
                        "app": app,
                        "interactions": None,
                        "suggestions": None,
                        "acceptances": None,
                        "loc_suggested": None,
                        "loc_added": None,
                        "import_run_id": run_id,
                    }
    values = list(rows.values())
    for start in range(0, len(values), BATCH_SIZE):
        connection.execute(insert(USAGE), values[start : start + BATCH_SIZE])
    return len(values)
