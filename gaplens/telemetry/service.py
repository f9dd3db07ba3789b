"""AI-usage imports: raw rows -> tool tables -> the domain `ai_usage_day`, in one transaction.

Tool rows are keyed by what the export itself names (day and login, refresh date and UPN), and
written with a dialect upsert, so re-importing a file or a later export that overlaps an
earlier one replaces exactly the rows it names. People not in the directory keep their tool
rows and are reported; importing the file again after adding them resolves them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from gaplens.connectors.copilot_usage import (
    FORMAT_NAMES,
    CopilotOrgRecord,
    CopilotUsageReader,
    CopilotUserRecord,
)
from gaplens.connectors.m365_copilot import CONCEALED_NAME, M365UsageReader
from gaplens.directory.identities import DirectoryLookups, IdentityResolver, load_resolver
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import ProblemCollector
from gaplens.imports.bulk import BulkStatement, WriteBehind, sqlite_page_cache
from gaplens.imports.parallel import Writes, run_import_loop, worth_a_second_process
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.telemetry.models import AiUsageDay
from gaplens.telemetry.schemas import ANY_APP, GITHUB_COPILOT, M365_COPILOT
from gaplens.telemetry.tools import (
    M365_APPS,
    CopilotOrgDay,
    CopilotUserDay,
    CopilotUserDayFeature,
    M365UsagePeriod,
    M365UsageSnapshot,
)

BATCH_SIZE = 5000
USER_DAY = cast(Table, CopilotUserDay.__table__)
USER_DAY_FEATURE = cast(Table, CopilotUserDayFeature.__table__)
FEATURE_COUNTS = ("interactions", "generations", "acceptances", "loc_suggested", "loc_added")
FEATURE_COLUMNS = ("day", "user_login", "feature", *FEATURE_COUNTS)
ORG_DAY = cast(Table, CopilotOrgDay.__table__)
SNAPSHOT = cast(Table, M365UsageSnapshot.__table__)
PERIOD = cast(Table, M365UsagePeriod.__table__)
PERIOD_KEY = ("refresh_date", "upn", "period_days")
PERIOD_COLUMNS = (
    *PERIOD_KEY,
    "prompts",
    "chat_work_prompts",
    "chat_web_prompts",
    "active_days",
    "import_run_id",
    "source_row",
)
USAGE = cast(Table, AiUsageDay.__table__)
USAGE_KEY = ("person_id", "day", "tool", "app")
COPILOT_KIND = "copilot-usage"
M365_KIND = "m365-copilot"
IDE_APP = "ide"
CLI_APP = "cli"
USER_DAY_END = CopilotUserRecord._fields.index("code_review") + 1
"""A user record's `copilot_user_day` values are its fields from `day` up to this one."""


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
    "cli_sessions",
    "cli_requests",
    "cli_prompts",
    "code_review",
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
        self.statement = BulkStatement(session, table, columns, key)
        self.writes: Writes = writes or WriteBehind(session, threaded=False)

    def add(self, key: tuple[Any, ...], row: tuple[Any, ...]) -> None:
        self.rows[key] = row
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writes.submit(self.statement.execute, list(self.rows.values()))
            self.written += len(self.rows)
            self.rows = {}


class UserDayWriter(KeyedWriter):
    """User-days with their feature rows: writing a user-day replaces all its features, so a
    feature missing from a later export of the same day does not linger.

    Both go through the same write-behind queue, as one write per batch: the user-days
    first (insert-first, as every table), then, only when some of them already existed,
    the deletion of those user-days' old features (a primary-key probe per user-day on
    SQLite, one `unnest` delete on PostgreSQL), then the features as plain rows already in
    the driver's form (`feature_rows`: executemany on SQLite, COPY on PostgreSQL). A first
    import, the big one, never deletes.
    """

    def __init__(self, session: Session, writes: WriteBehind | None = None) -> None:
        super().__init__(session, USER_DAY, ("day", "user_login"), USER_DAY_COLUMNS, writes)
        self.session = session
        self.features: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        self.features_written = 0
        self._sqlite = session.get_bind().dialect.name == "sqlite"
        table = USER_DAY_FEATURE.name
        # Text COPY: feature rows carry the day as text, as the SQLite insert takes it.
        self._feature_rows = (
            None
            if self._sqlite
            else BulkStatement(session, USER_DAY_FEATURE, FEATURE_COLUMNS, binary=False)
        )
        self._insert_sql = (
            f"INSERT INTO {table} ({', '.join(FEATURE_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(FEATURE_COLUMNS))})"
        )
        self._delete_sql = (
            f"DELETE FROM {table} WHERE day = ? AND user_login = ?"
            if self._sqlite
            else f"DELETE FROM {table} AS f USING unnest(%s::date[], %s::text[]) AS k(day, login)"
            " WHERE f.day = k.day AND f.user_login = k.login"
        )

    def add_day(
        self,
        key: tuple[dt.date, str],
        row: tuple[Any, ...],
        features: list[tuple[Any, ...]] | None,
    ) -> None:
        """A user-day (its `copilot_user_day` values) with its `feature_rows`."""
        if features:
            self.features[key] = features
        elif self.features:
            self.features.pop(key, None)  # the same user-day again, now without features
        self.add(key, row)

    def flush(self) -> None:
        if not self.rows:
            return
        features = self.features
        # In key order, as the user-days are written: the feature table is stored in key order.
        rows = [f for key in sorted(self.rows) for f in features.get(key, ())]
        self.writes.submit(self._write, list(self.rows), list(self.rows.values()), rows)
        self.written += len(self.rows)
        self.features_written += len(rows)
        self.rows = {}
        self.features = {}

    def _write(
        self,
        keys: list[tuple[dt.date, str]],
        user_days: list[tuple[Any, ...]],
        features: list[tuple[Any, ...]],
    ) -> None:
        self.statement.execute(user_days)
        connection = self.session.connection()
        if self.statement.replaced:
            if self._sqlite:
                connection.exec_driver_sql(
                    self._delete_sql, [(day.isoformat(), login) for day, login in keys]
                )
            else:
                days, logins = [day for day, _ in keys], [login for _, login in keys]
                connection.exec_driver_sql(self._delete_sql, (days, logins))
        if not features:
            return
        if self._feature_rows is None:
            connection.exec_driver_sql(self._insert_sql, features)
            return
        # PostgreSQL: the batch as one block of COPY text, cheaper than a `write_row` per
        # row. Only when no text needs COPY's escaping: a tab, newline, carriage return or
        # backslash in a login or feature changes these counts, and such a batch goes row
        # by row instead.
        block = "".join(
            [f"{d}\t{u}\t{f}\t{i}\t{g}\t{a}\t{s}\t{x}\n" for d, u, f, i, g, a, s, x in features]
        )
        rows = len(features)
        if (
            block.count("\n") == rows
            and block.count("\t") == 7 * rows
            and "\\" not in block
            and "\r" not in block
        ):
            self._feature_rows.copy_text(block)
        else:
            self._feature_rows.execute(features)


def import_copilot_usage(
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    source: str | None = None,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """Import any GitHub Copilot usage export (the format is detected); all or nothing.

    `source` names where the file came from when it is not the file itself (a sync's
    download link, without its signature): problems and the run's raw rows name it.
    `lookups`: the directory as a sync read it for all its units (read now when None).
    A large file is parsed in a second process while this one writes (imports/parallel.py)."""
    problems = ProblemCollector(source or path.name)
    reader = CopilotUsageReader(path, problems, source=source)
    run = start_run(session, COPILOT_KIND, path)
    if source is not None:
        run.source_name = source[:500]
    run_id = run.id
    resolver = load_resolver(session, [IdentityKind.GITHUB], lookups=lookups)
    with sqlite_page_cache(session), WriteBehind(session) as writes:
        raw = RawRowWriter(session, run, writes=writes)
        users = UserDayWriter(session, writes)
        orgs = KeyedWriter(session, ORG_DAY, ("scope", "day"), ORG_DAY_COLUMNS, writes)
        usage = KeyedWriter(session, USAGE, USAGE_KEY, USAGE_COLUMNS, writes)
        counts = run_import_loop(
            partial(_parse_copilot, reader, problems, run_id, resolver, raw, users, orgs, usage),
            writes,
            progress,
            targets=(raw, users, orgs.statement, usage.statement),
            in_child=worth_a_second_process(path),
        )
    resolver.misses.clear()
    resolver.misses.update(counts.misses)
    _drop_ide_days(session, counts.not_ide)
    written = counts.user_days + counts.org_days
    finish_run(run, counts.rows_read, written, counts.unresolved)
    forget_raw_of_same_file(session, COPILOT_KIND, run.sha256, run_id)
    if progress is not None:
        progress(path.stat().st_size)
    kind = FORMAT_NAMES.get(counts.kind or "", "Copilot usage")
    detail = f"{kind}; {counts.usage_days} person-days of AI usage"
    if counts.org_days:
        detail = f"{kind}; {counts.org_days} organisation-days"
    if counts.cli_days:
        detail += f" ({counts.cli_days} with Copilot CLI use)"
    if counts.passive_only:
        detail += (
            f"; {counts.passive_only} user-days whose only activity was a Copilot code review "
            "run automatically on their pull request are not counted as use"
        )
    return ConnectorSummary(
        kind=COPILOT_KIND,
        source=source or path.name,
        rows_read=counts.rows_read,
        rows_written=written,
        rows_unresolved=counts.unresolved,
        unresolved_note=resolver.unresolved_summary(),
        detail=detail,
    )


@dataclass(frozen=True)
class CopilotCounts:
    """What the Copilot import loop counted, returned from whichever process ran it."""

    kind: str | None
    rows_read: int
    user_days: int
    org_days: int
    usage_days: int
    unresolved: int
    misses: Counter[str]
    not_ide: frozenset[tuple[str, dt.date]] = frozenset()
    """(person, day) of user-days that are not IDE use: any `ide` row left from an earlier
    import of the same day is deleted."""
    cli_days: int = 0
    passive_only: int = 0


def _parse_copilot(
    reader: CopilotUsageReader,
    problems: ProblemCollector,
    run_id: int,
    resolver: IdentityResolver,
    raw: RawRowWriter,
    users: UserDayWriter,
    orgs: KeyedWriter,
    usage: KeyedWriter,
    writes: Writes,
    progress: ProgressCallback | None,
) -> CopilotCounts:
    """Reads and validates every record, sending each batch's writes to `writes`."""
    raw.writes = users.writes = orgs.writes = usage.writes = writes
    resolve = resolver.resolve
    unresolved = 0
    since_progress = 0
    raw_row = 0  # a record's line, or one past the previous record's when they share a line
    add_user, add_usage, add_raw = users.add_day, usage.add, raw.add
    not_ide: set[tuple[str, dt.date]] = set()
    cli_days = passive_only = 0
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
                add_user(
                    (day, item.user_login),
                    (*item[1:USER_DAY_END], run_id, raw_row),
                    item.feature_rows,
                )
                person = resolve(item.user_login)
                if person is None:
                    unresolved += 1
                    continue
                if item.used:
                    if not_ide:
                        not_ide.discard((person, day))
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
                else:
                    not_ide.add((person, day))
                    if not item.cli_used and item.code_review == "passive":
                        passive_only += 1
                if item.cli_used:
                    cli_days += 1
                    prompts = (
                        item.cli_prompts if item.cli_prompts is not None else item.cli_requests
                    )
                    add_usage(
                        (person, day, GITHUB_COPILOT, CLI_APP),
                        (person, day, GITHUB_COPILOT, CLI_APP, prompts, *(None,) * 4, run_id),
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
    return CopilotCounts(
        reader.kind,
        reader.rows_read,
        users.written,
        orgs.written,
        usage.written,
        unresolved,
        Counter(resolver.misses),
        frozenset(not_ide),
        cli_days,
        passive_only,
    )


def _drop_ide_days(session: Session, keys: frozenset[tuple[str, dt.date]]) -> None:
    """Delete the `ide` usage rows of user-days this import found are not IDE use (a CLI-only
    or passive-review-only day an earlier import may have counted)."""
    if not keys:
        return
    statement = delete(AiUsageDay).where(
        AiUsageDay.person_id == bindparam("person"),
        AiUsageDay.day == bindparam("day"),
        AiUsageDay.tool == GITHUB_COPILOT,
        AiUsageDay.app == IDE_APP,
    )
    rows = [{"person": person, "day": day} for person, day in sorted(keys)]
    session.connection().execute(statement, rows)


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
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    *,
    source: str | None = None,
    drop_concealed: bool = False,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """Import one Microsoft 365 Copilot user-detail export; all or nothing.

    Each export is a snapshot of last-activity dates. Every date any snapshot reports is a day
    the person was active in that app, so the domain rows of everyone in the file are rebuilt
    from all their snapshots: the result does not depend on the order exports are imported.
    `source` names where the file came from when it is not the file itself (a sync's report
    URL); `drop_concealed` (the sync) stores nothing of a user whose name the tenant conceals,
    since a hashed name can never be matched to a person. `lookups`: the directory as a sync
    read it for all its units (read now when None).
    """
    problems = ProblemCollector(source or path.name)
    reader = M365UsageReader(path, problems, source=source)
    run = start_run(session, M365_KIND, path)
    if source is not None:
        run.source_name = source[:500]
    run_id = run.id
    raw = RawRowWriter(session, run)
    resolver = load_resolver(session, [IdentityKind.EMAIL], lookups=lookups)
    snapshots = KeyedWriter(session, SNAPSHOT, ("refresh_date", "upn"), SNAPSHOT_COLUMNS)
    periods = KeyedWriter(session, PERIOD, PERIOD_KEY, PERIOD_COLUMNS)
    touched: set[str] = set()
    unresolved = 0
    since_progress = 0
    raw_row = 0  # a record's line, or one past the previous record's when they share a line
    for row, text, record in reader:
        if problems:
            if problems.count >= problems.limit:
                break
            continue
        if drop_concealed and record is not None and CONCEALED_NAME.match(record.upn.upper()):
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
        for period in record.periods:
            periods.add(
                (record.refresh_date, record.upn, period.period_days),
                (
                    record.refresh_date,
                    record.upn,
                    period.period_days,
                    period.prompts,
                    period.chat_work_prompts,
                    period.chat_web_prompts,
                    period.active_days,
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
    periods.flush()
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
        source=source or path.name,
        rows_read=reader.rows_read,
        rows_written=snapshots.written,
        rows_unresolved=unresolved,
        unresolved_note=note,
        detail=_m365_detail(reader, days, periods.written),
        warnings=tuple(reader.warnings),
    )


def _m365_detail(reader: M365UsageReader, days: int, period_rows: int) -> str:
    detail = f"{reader.format} user detail; {days} person-app-days of AI usage"
    if reader.pages > 1:
        detail = f"{reader.pages} pages of {detail}"
    if period_rows:
        detail += f"; {period_rows} user-periods of prompt and active-day counts"
    return detail


def rebuild_m365_usage(
    session: Session, resolver: IdentityResolver, people: Iterable[str], run_id: int
) -> int:
    """Make the Microsoft 365 domain rows of `people` what all their snapshots say; how many
    that is.

    Only the difference is written: a daily snapshot adds a day or two per person to what
    the earlier ones gave, and rewriting every row each day (55,000 for 10,000 people after
    two snapshots, more each day) was most of a daily sync's Microsoft 365 time. A person
    whose stored rows include one no snapshot gives any more (a snapshot imported again with
    other dates) has all their rows replaced. Rows kept keep the run that first wrote them."""
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
    columns = [M365UsageSnapshot.upn, M365UsageSnapshot.last_activity] + [
        getattr(M365UsageSnapshot, app) for app in M365_APPS
    ]
    should: set[tuple[str, dt.date, str]] = set()
    apps = (ANY_APP, *M365_APPS)
    for start in range(0, len(upns), 500):
        chunk = upns[start : start + 500]
        for snapshot in connection.execute(
            select(*columns).where(M365UsageSnapshot.upn.in_(chunk))
        ):
            person = by_value[snapshot[0].lower()]
            for app, day in zip(apps, snapshot[1:], strict=True):
                if day is not None:
                    should.add((person, day, app))
    ids = sorted(wanted)
    stored: set[tuple[str, dt.date, str]] = set()
    for start in range(0, len(ids), 500):
        stored.update(
            (person, day, app)
            for person, day, app in connection.execute(
                select(AiUsageDay.person_id, AiUsageDay.day, AiUsageDay.app).where(
                    AiUsageDay.tool == M365_COPILOT,
                    AiUsageDay.person_id.in_(ids[start : start + 500]),
                )
            )
        )
    stale = sorted({person for person, _, _ in stored - should})
    for start in range(0, len(stale), 500):
        connection.execute(
            delete(AiUsageDay).where(
                AiUsageDay.tool == M365_COPILOT,
                AiUsageDay.person_id.in_(stale[start : start + 500]),
            )
        )
    replaced = set(stale)
    values = [
        {
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
        for person, day, app in sorted(should)
        if person in replaced or (person, day, app) not in stored
    ]
    for start in range(0, len(values), BATCH_SIZE):
        connection.execute(insert(USAGE), values[start : start + BATCH_SIZE])
    return len(should)
