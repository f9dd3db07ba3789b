"""AI-usage imports: raw rows -> tool tables -> the domain `ai_usage_day`, in one transaction.

Tool rows are keyed by what the export itself names (day and login, refresh date and UPN), and
written with a dialect upsert, so re-importing a file or a later export that overlaps an
earlier one replaces exactly the rows it names. People not in the directory keep their tool
rows and are reported; importing the file again after adding them resolves them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

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
from gaplens.imports.bulk import BulkStatement, WriteBehind, sqlite_page_cache
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


USER_DAY_COLUMNS = (
    "day",
    "user_login",
    "user_id",
    "interactions",
    "code_generations",
    "code_acceptances",
    "loc_suggested",
    "loc_added",
    "used_agent",
    "used_chat",
    "features",
    "import_run_id",
    "source_row",
)
USAGE_COLUMNS = (
    *USAGE_KEY,
    "interactions",
    "suggestions",
    "acceptances",
    "loc_suggested",
    "loc_added",
    "import_run_id",
)
ORG_DAY_COLUMNS = (
    "scope",
    "day",
    "source_format",
    "active_users",
    "engaged_users",
    "weekly_active_users",
    "monthly_active_users",
    "monthly_active_chat_users",
    "monthly_active_agent_users",
    "interactions",
    "suggestions",
    "acceptances",
    "lines_suggested",
    "lines_accepted",
    "import_run_id",
    "source_row",
)
SNAPSHOT_COLUMNS = (
    "refresh_date",
    "upn",
    "display_name",
    "last_activity",
    *M365_APPS,
    "import_run_id",
    "source_row",
)


class KeyedWriter:
    """Buffers rows (value tuples in `columns` order) by natural key and writes them in
    batches, replacing rows with that key (`BulkStatement`: new rows go in as plain inserts or
    COPY, existing keys are upserted). Duplicate keys within a batch keep the last row."""

    def __init__(
        self,
        session: Session,
        table: Table,
        key: Sequence[str],
        columns: Sequence[str],
        writes: WriteBehind | None = None,
    ) -> None:
        self.rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.written = 0
        self._statement = BulkStatement(session, table, columns, key)
        self._writes = writes or WriteBehind(session, threaded=False)

    def add(self, key: tuple[Any, ...], row: tuple[Any, ...]) -> None:
        self.rows[key] = row
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self._writes.submit(self._statement.execute, list(self.rows.values()))
            self.written += len(self.rows)
            self.rows = {}


def import_copilot_usage(
    session: Session, path: Path, progress: ProgressCallback | None = None
) -> ConnectorSummary:
    """Import any GitHub Copilot usage export (the format is detected); all or nothing."""
    problems = ProblemCollector(path.name)
    reader = CopilotUsageReader(path, problems)
    run = start_run(session, COPILOT_KIND, path)
    run_id = run.id
    resolver = IdentityResolver.load(session, [IdentityKind.GITHUB])
    resolve = resolver.resolve
    unresolved = 0
    since_progress = 0
    raw_row = 0  # a record's line, or one past the previous record's when they share a line
    with sqlite_page_cache(session), WriteBehind(session) as writes:
        raw = RawRowWriter(session, run, writes=writes)
        users = KeyedWriter(session, USER_DAY, ("day", "user_login"), USER_DAY_COLUMNS, writes)
        orgs = KeyedWriter(session, ORG_DAY, ("scope", "day"), ORG_DAY_COLUMNS, writes)
        usage = KeyedWriter(session, USAGE, USAGE_KEY, USAGE_COLUMNS, writes)
        add_user, add_usage, add_raw = users.add, usage.add, raw.add
        for (line, text), parsed in reader:
            if problems:
                if problems.count >= problems.limit:
                    break
                continue  # keep validating to report every problem, but write nothing more
            raw_row = line if line > raw_row else raw_row + 1
            add_raw(raw_row, text)
            for item in parsed:
                if type(item) is CopilotUserRecord:
                    day = item.day
                    add_user((day, item.user_login), (*item[1:], run_id, raw_row))
                    person = resolve(item.user_login)
                    if person is None:
                        unresolved += 1
                        continue
                    add_usage(
                        (person, day, GITHUB_COPILOT, IDE_APP),
                        (
                            person,
                            day,
                            GITHUB_COPILOT,
                            IDE_APP,
                            item.interactions,
                            item.code_generations,
                            item.code_acceptances,
                            item.loc_suggested,
                            item.loc_added,
                            run_id,
                        ),
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
    written = users.written + orgs.written
    finish_run(run, reader.rows_read, written, unresolved)
    forget_raw_of_same_file(session, COPILOT_KIND, run.sha256, run_id)
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


def _org_row(item: CopilotOrgRecord, run_id: int, raw_row: int) -> tuple[Any, ...]:
    return (
        item.scope,
        item.day,
        item.source_format,
        item.active_users,
        item.engaged_users,
        item.weekly_active_users,
        item.monthly_active_users,
        item.monthly_active_chat_users,
        item.monthly_active_agent_users,
        item.interactions,
        item.suggestions,
        item.acceptances,
        item.lines_suggested,
        item.lines_accepted,
        run_id,
        raw_row,
    )


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
    snapshots = KeyedWriter(session, SNAPSHOT, ("refresh_date", "upn"), SNAPSHOT_COLUMNS)
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
            (
                record.refresh_date,
                record.upn,
                record.display_name,
                record.last_activity,
                *(record.apps[app] for app in M365_APPS),
                run_id,
                raw_row,
            ),
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
    finish_run(run, reader.rows_read, snapshots.written, unresolved)
    forget_raw_of_same_file(session, M365_KIND, run.sha256, run_id)
    days = rebuild_m365_usage(session, resolver, touched, run_id)
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
