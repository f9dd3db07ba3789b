"""Cursor and Claude Code usage imports: raw rows -> tool tables -> `ai_usage_day`, all or
nothing, in the caller's transaction.

Tool rows are keyed by what the report names (day and email; day, actor and terminal) and
upserted, so re-importing a file or an overlapping later one replaces exactly those rows.
The domain rows of every day a file covers are then rebuilt from the tool table, so the
result does not depend on import order, a day a later report shows inactive stops counting,
and one person's several records of a day (two terminals, two addresses) are one row.
People are matched by email through the directory's identities; rows of people not in it are
kept and reported, and resolve when the file is imported again after adding them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Executable, Table, delete, insert, select
from sqlalchemy.orm import Session

from gaplens.connectors.claude_code_usage import API_ACTOR, USER_ACTOR, ClaudeCodeUsageReader
from gaplens.connectors.cursor_usage import COUNTS, REQUESTS, CursorUsageReader
from gaplens.directory.identities import DirectoryLookups, IdentityResolver, load_resolver
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import ProblemCollector
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.telemetry.models import AiUsageDay
from gaplens.telemetry.schemas import CLAUDE_CODE, CURSOR
from gaplens.telemetry.service import BATCH_SIZE, CLI_APP, IDE_APP, USAGE, KeyedWriter
from gaplens.telemetry.tools import ClaudeCodeUserDay, CursorUserDay

CURSOR_KIND = "cursor-usage"
CLAUDE_CODE_KIND = "claude-code-usage"
CURSOR_TABLE = cast(Table, CursorUserDay.__table__)
CLAUDE_TABLE = cast(Table, ClaudeCodeUserDay.__table__)
CURSOR_COLUMNS = (
    "day",
    "email",
    "is_active",
    *(column for _, column in COUNTS),
    "most_used_model",
    "client_version",
    "import_run_id",
    "source_row",
)
CLAUDE_KEY = ("day", "actor_type", "actor", "terminal_type")
CLAUDE_COLUMNS = (
    *CLAUDE_KEY,
    "organization_id",
    "customer_type",
    "sessions",
    "lines_added",
    "lines_removed",
    "commits",
    "pull_requests",
    "actions_accepted",
    "actions_rejected",
    "tool_actions",
    "model_breakdown",
    "import_run_id",
    "source_row",
)
CHUNK = 500
UsageCounts = tuple[int | None, int | None, int | None, int | None, int | None]
"""(interactions, suggestions, acceptances, lines suggested, lines added) of a usage row."""


def import_cursor_usage(
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    source: str | None = None,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """Import a saved Cursor daily-usage response (one page, or JSON lines of them);
    `lookups`: the directory a sync's units share (read now when None)."""
    problems = ProblemCollector(source or path.name)
    reader = CursorUsageReader(path, problems)
    run = start_run(session, CURSOR_KIND, path)
    if source is not None:
        run.source_name = source[:500]
    raw = RawRowWriter(session, run)
    resolver = load_resolver(session, [IdentityKind.EMAIL], lookups=lookups)
    writer = KeyedWriter(session, CURSOR_TABLE, ("day", "email"), CURSOR_COLUMNS)
    days: set[dt.date] = set()
    unresolved = inactive = raw_row = seen = 0
    for item, record in reader:
        if problems:
            if problems.count >= problems.limit:
                break
            continue  # keep validating to report every problem, but write nothing more
        if item.raw is not None:
            raw_row = _keep_raw(raw, raw_row, item.row, item.raw)
        if record is None:
            continue
        writer.add(
            (record.day, record.email.lower()),
            (
                record.day,
                record.email.lower(),
                record.is_active,
                *record.counts,
                record.most_used_model,
                record.client_version,
                run.id,
                raw_row,
            ),
        )
        days.add(record.day)
        inactive += not record.used
        if resolver.resolve(record.email) is None:
            unresolved += 1
        seen += 1
        if progress is not None and seen % BATCH_SIZE == 0:
            progress(reader.bytes_read)
    problems.raise_if_any()
    writer.flush()
    raw.close()
    finish_run(run, reader.rows_read, writer.written, unresolved)
    forget_raw_of_same_file(session, CURSOR_KIND, run.sha256, run.id)
    usage_days = rebuild_cursor_usage(session, resolver, days, run.id)
    if progress is not None:
        progress(path.stat().st_size)
    detail = f"Cursor daily usage; {usage_days} person-days of AI usage"
    if inactive:
        detail += f"; {inactive} member-days not active (isActive false), not counted as use"
    return ConnectorSummary(
        kind=CURSOR_KIND,
        source=source or path.name,
        rows_read=reader.rows_read,
        rows_written=writer.written,
        rows_unresolved=unresolved,
        unresolved_note=resolver.unresolved_summary(),
        detail=detail,
    )


def import_claude_code_usage(
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    source: str | None = None,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """Import a saved Claude Code usage report (one page, or JSON lines of every page);
    `lookups`: the directory a sync's units share (read now when None)."""
    problems = ProblemCollector(source or path.name)
    reader = ClaudeCodeUsageReader(path, problems)
    run = start_run(session, CLAUDE_CODE_KIND, path)
    if source is not None:
        run.source_name = source[:500]
    raw = RawRowWriter(session, run)
    resolver = load_resolver(session, [IdentityKind.EMAIL], lookups=lookups)
    writer = KeyedWriter(session, CLAUDE_TABLE, CLAUDE_KEY, CLAUDE_COLUMNS)
    days: set[dt.date] = set()
    api_keys: Counter[str] = Counter()
    unresolved = raw_row = seen = 0
    for item, record in reader:
        if problems:
            if problems.count >= problems.limit:
                break
            continue
        if item.raw is not None:
            raw_row = _keep_raw(raw, raw_row, item.row, item.raw)
        if record is None:
            continue
        # An email is matched case-insensitively, so it is kept in one case; a key name as given.
        actor = record.actor.lower() if record.actor_type == USER_ACTOR else record.actor
        writer.add(
            (record.day, record.actor_type, actor, record.terminal_type),
            (
                record.day,
                record.actor_type,
                actor,
                record.terminal_type,
                record.organization_id,
                record.customer_type,
                record.sessions,
                record.lines_added,
                record.lines_removed,
                record.commits,
                record.pull_requests,
                record.actions_accepted,
                record.actions_rejected,
                record.tool_actions,
                record.model_breakdown,
                run.id,
                raw_row,
            ),
        )
        days.add(record.day)
        if record.actor_type == API_ACTOR:
            api_keys[record.actor] += 1
        elif resolver.resolve(record.actor) is None:
            unresolved += 1
        seen += 1
        if progress is not None and seen % BATCH_SIZE == 0:
            progress(reader.bytes_read)
    problems.raise_if_any()
    writer.flush()
    raw.close()
    finish_run(run, reader.rows_read, writer.written, unresolved)
    forget_raw_of_same_file(session, CLAUDE_CODE_KIND, run.sha256, run.id)
    usage_days = rebuild_claude_code_usage(session, resolver, days, run.id)
    if progress is not None:
        progress(path.stat().st_size)
    return ConnectorSummary(
        kind=CLAUDE_CODE_KIND,
        source=source or path.name,
        rows_read=reader.rows_read,
        rows_written=writer.written,
        rows_unresolved=unresolved,
        unresolved_note=resolver.unresolved_summary(),
        detail=_claude_detail(usage_days, api_keys),
        warnings=_claude_warnings(reader, path),
    )


def _keep_raw(raw: RawRowWriter, previous: int, line: int, text: str) -> int:
    """Keep a record's text as the raw row of the line it starts on (one past the previous
    record's when they share a line); the row number used.

    The lines between two records of a pretty-printed response (the rest of the previous
    record) are kept as empty rows: raw rows are stored in chunks of consecutive rows, and a
    gap would close a chunk per record."""
    row = max(line, previous + 1)
    for gap in range(previous + 1, row):
        raw.add(gap, "")
    raw.add(row, text)
    return row


def _claude_detail(usage_days: int, api_keys: Counter[str]) -> str:
    detail = f"Claude Code usage report; {usage_days} person-days of AI usage"
    if api_keys:
        names = ", ".join(f"{name} ({n})" for name, n in api_keys.most_common(5))
        more = f", and {len(api_keys) - 5} more" if len(api_keys) > 5 else ""
        detail += (
            f"; {sum(api_keys.values())} records of {len(api_keys)} API key(s) kept, not "
            f"counted as people: {names}{more}"
        )
    return detail


def _claude_warnings(reader: ClaudeCodeUsageReader, path: Path) -> tuple[str, ...]:
    if not reader.incomplete:
        return ()
    return (
        f"{path.name} is incomplete: its last page says has_more (next_page "
        f"{reader.pages.last_page.get('next_page')!r}); the records on the following pages "
        "are not in it. Save every page (a JSON line each) and import them too.",
    )


def cursor_counts(row: Sequence[Any]) -> UsageCounts | None:
    """The usage-day counts of a `cursor_user_day` row (columns as `CURSOR_COLUMNS` from
    `is_active` up to the counts' end), or None when the day is not a day of use: `isActive`
    false, or (when the report omits it) no count above 0."""
    active, counts = row[0], dict(zip((c for _, c in COUNTS), row[1:], strict=True))
    if active is False or (active is None and not any(counts.values())):
        return None
    requests = [counts[c] for c in REQUESTS if counts[c] is not None]
    return (
        sum(requests) if requests else None,
        counts["total_tabs_shown"],
        counts["total_tabs_accepted"],
        counts["total_lines_added"],
        counts["accepted_lines_added"],
    )


def claude_code_counts(row: Sequence[Any]) -> UsageCounts | None:
    """The usage-day counts of a user actor's `claude_code_user_day` row (sessions, lines
    added, lines removed, commits, pull requests, actions accepted, actions rejected), or
    None when it had no session and no action. Suggestions are the edits Claude Code
    proposed (accepted or rejected), acceptances those accepted."""
    sessions, added, removed, commits, pulls, accepted, rejected = row
    if not any((sessions, added, removed, commits, pulls, accepted, rejected)):
        return None
    proposed = None if accepted is None and rejected is None else (accepted or 0) + (rejected or 0)
    return (sessions, proposed, accepted, None, added)


def rebuild_cursor_usage(
    session: Session, resolver: IdentityResolver, days: Iterable[dt.date], run_id: int
) -> int:
    """Replace the Cursor rows of `ai_usage_day` on `days` with what `cursor_user_day` says."""
    t = CursorUserDay
    columns = [t.email, t.day, t.is_active, *(getattr(t, c) for _, c in COUNTS)]
    return _rebuild(
        session,
        CURSOR,
        IDE_APP,
        sorted(set(days)),
        lambda chunk: select(*columns).where(t.day.in_(chunk)),
        cursor_counts,
        resolver,
        run_id,
    )


def rebuild_claude_code_usage(
    session: Session, resolver: IdentityResolver, days: Iterable[dt.date], run_id: int
) -> int:
    """Replace the Claude Code rows of `ai_usage_day` on `days` with what the user actors'
    `claude_code_user_day` rows say (API keys are not people: never a usage row)."""
    t = ClaudeCodeUserDay
    columns = [
        t.actor,
        t.day,
        t.sessions,
        t.lines_added,
        t.lines_removed,
        t.commits,
        t.pull_requests,
        t.actions_accepted,
        t.actions_rejected,
    ]
    return _rebuild(
        session,
        CLAUDE_CODE,
        CLI_APP,
        sorted(set(days)),
        lambda chunk: select(*columns).where(t.day.in_(chunk), t.actor_type == USER_ACTOR),
        claude_code_counts,
        resolver,
        run_id,
    )


def _rebuild(
    session: Session,
    tool: str,
    app: str,
    days: list[dt.date],
    query: Callable[[list[dt.date]], Executable],
    counts_of: Callable[[Sequence[Any]], UsageCounts | None],
    resolver: IdentityResolver,
    run_id: int,
) -> int:
    """Delete `tool`'s usage rows on `days` and write them again from the tool rows `query`
    selects (name, day, then the columns `counts_of` reads), one row per person and day."""
    connection = session.connection()
    merged: dict[tuple[str, dt.date], list[int | None]] = {}
    for start in range(0, len(days), CHUNK):
        chunk = days[start : start + CHUNK]
        connection.execute(
            delete(AiUsageDay).where(AiUsageDay.tool == tool, AiUsageDay.day.in_(chunk))
        )
        for name, day, *rest in connection.execute(query(chunk)):
            person = resolver.by_value.get(str(name).lower())
            counts = counts_of(rest)
            if person is None or counts is None:
                continue
            found = merged.get((person, day))
            merged[(person, day)] = (
                list(counts)
                if found is None
                else [_add(a, b) for a, b in zip(found, counts, strict=True)]
            )
    values = [
        {
            "person_id": person,
            "day": day,
            "tool": tool,
            "app": app,
            "interactions": counts[0],
            "suggestions": counts[1],
            "acceptances": counts[2],
            "loc_suggested": counts[3],
            "loc_added": counts[4],
            "import_run_id": run_id,
        }
        for (person, day), counts in sorted(merged.items())
    ]
    for start in range(0, len(values), BATCH_SIZE):
        connection.execute(insert(USAGE), values[start : start + BATCH_SIZE])
    return len(values)


def _add(a: int | None, b: int | None) -> int | None:
    """Counts of one person's several records of a day: unknown only when both are."""
    return None if a is None and b is None else (a or 0) + (b or 0)
