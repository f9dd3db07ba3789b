"""Work-item imports: Jira issues and Zendesk/ServiceNow tickets, raw -> tool -> domain.

Each import is one run in the caller's transaction: every source row is kept (raw_chunk), the
tool rows are upserted on their natural key, and the domain `work_item` rows on
uuid5(source:key), so re-importing a file, or a later export overlapping an earlier one,
replaces exactly the rows it names. Rows stream in batches; any bad row makes the whole
import fail before commit, with every problem located.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from hashlib import sha1
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Table, delete, exists, select
from sqlalchemy.orm import Session

from gaplens.connectors.csv_file import check_not_binary
from gaplens.connectors.jira_csv import JiraCsvReader
from gaplens.connectors.jira_json import JiraJsonReader
from gaplens.connectors.servicenow_json import ServiceNowJson, looks_like_json
from gaplens.connectors.tickets_csv import SERVICENOW, ZENDESK, TicketsReader
from gaplens.connectors.work_records import WorkRecord
from gaplens.connectors.zendesk_json import ZendeskTicketPage, is_ticket_page
from gaplens.directory.identities import DirectoryLookups, IdentityResolver, load_resolver
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import InputError, ProblemCollector
from gaplens.imports.bulk import (
    BulkStatement,
    WriteBehind,
    fewer_collections,
    sqlite_page_cache,
)
from gaplens.imports.models import ImportRun
from gaplens.imports.parallel import Writes, run_import_loop, worth_a_second_process
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.work.models import WorkItem, WorkItemTransition
from gaplens.work.schemas import ISSUE, TICKET
from gaplens.work.tools import JiraIssue, JiraStatusChange, ServiceNowIncident, ZendeskTicket

BATCH_SIZE = 5000
KNOWN_LIMIT = 50_000
_UNKNOWN = "?"
WORK_ITEM_NAMESPACE = uuid.UUID("3b0f6d1e-8c2a-4f5b-9e7d-1a2b3c4d5e6f")
_NAMESPACE_BYTES = WORK_ITEM_NAMESPACE.bytes
WORK_ITEM = cast(Table, WorkItem.__table__)
TRANSITION = cast(Table, WorkItemTransition.__table__)
JIRA_ISSUE = cast(Table, JiraIssue.__table__)
JIRA_CHANGE = cast(Table, JiraStatusChange.__table__)
ZENDESK_TICKET = cast(Table, ZendeskTicket.__table__)
SERVICENOW_INCIDENT = cast(Table, ServiceNowIncident.__table__)
ITEM_COLUMNS = (
    "id",
    "source",
    "key",
    "kind",
    "item_type",
    "status",
    "status_category",
    "person_id",
    "assignee_ref",
    "team_id",
    "created_at",
    "started_at",
    "resolved_at",
    "story_points",
    "sprint",
    "reopen_count",
    "rework_count",
    "import_run_id",
)
CHANGE_COLUMNS = ("work_item_id", "ordinal", "at", "from_status", "to_status")


def work_item_id(source: str, key: str) -> str:
    """Deterministic: the same item from any later export gets the same id.

    Equal to str(uuid.uuid5(WORK_ITEM_NAMESPACE, f"{source}:{key}")), computed without the
    UUID object, which is a tenth of the per-row cost of a million-row import.
    """
    return work_item_ids(source, [key])[0]


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def work_item_ids(source: str, keys: Iterable[str]) -> list[str]:
    """`work_item_id` for many keys of one source: the uuid5 digest, its version and variant
    digits set in the hex text (version 5; variant 10xx), one loop with everything local."""
    prefix = _NAMESPACE_BYTES + f"{source}:".encode()
    variant = _VARIANT
    ids: list[str] = []
    append = ids.append
    for key in keys:
        h = sha1(prefix + key.encode()).hexdigest()
        append(f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant[h[16]]}{h[17:20]}-{h[20:32]}")
    return ids


class RecordSource(Protocol):
    """What a connector offers the import loop."""

    @property
    def rows_read(self) -> int: ...

    @property
    def bytes_read(self) -> int: ...

    def __iter__(self) -> Iterator[WorkRecord]: ...


def import_jira(
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    source: str | None = None,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """A Jira CSV export or REST search JSON (detected from the first character).

    `source` names where the file came from when it is not the file itself (a sync's search
    URL): problems and the run's raw rows name it. `lookups` (the directory as a sync read
    it for all its units) spares reading the whole directory again for every page."""
    problems = ProblemCollector(source or path.name)
    check_not_binary(path, utf8=False)
    reader: RecordSource
    warnings: list[str] = []
    if _starts_like_json(path):
        reader = JiraJsonReader(path, problems, source=source)
        fmt = "REST JSON"
    else:
        reader = JiraCsvReader(path, problems)
        warnings = reader.warnings
        fmt = "CSV"
    # Who an issue names: account ids, then emails, then a display name one person has.
    resolver = load_resolver(
        session, [IdentityKind.JIRA, IdentityKind.EMAIL], display_names=True, lookups=lookups
    )
    run = start_run(session, "jira", path)
    if source is not None:
        run.source_name = source[:500]
    writer = WorkWriter(session, run, resolver, "jira", ISSUE, JIRA_ISSUE, ("key",), JIRA_CHANGE)
    return run_import(
        session, path, run, reader, writer, problems, progress, f"Jira {fmt}", warnings
    )


def import_tickets(
    session: Session,
    path: Path,
    progress: ProgressCallback | None = None,
    system: str | None = None,
    source: str | None = None,
    lookups: DirectoryLookups | None = None,
) -> ConnectorSummary:
    """A Zendesk ticket or Explore CSV export, a page of Zendesk's incremental ticket export
    (JSON), or a ServiceNow incident CSV or JSONv2 export (detected when `system` is None).

    `source` names where the file came from when it is not the file itself (a sync's API
    page, without its query): problems and the run name it. `lookups`: the directory as a
    sync read it for all its units (read now when None)."""
    problems = ProblemCollector(source or path.name)
    json_table: ServiceNowJson | ZendeskTicketPage | None = None
    if looks_like_json(path):
        if is_ticket_page(path):
            if system not in (None, ZENDESK):
                raise InputError.single(
                    "a JSON file with a 'tickets' list is a Zendesk export, not ServiceNow's",
                    source or path.name,
                )
            json_table = ZendeskTicketPage(path, source)
            system = ZENDESK
        else:
            if system not in (None, SERVICENOW):
                raise InputError.single(
                    "a JSON file is read as a ServiceNow JSONv2 export or a page of Zendesk's "
                    "incremental ticket export (a 'tickets' list)",
                    path.name,
                )
            json_table = ServiceNowJson(path)
            system = SERVICENOW
    reader = TicketsReader(path, problems, system, json_table)
    if reader.system == ZENDESK:
        kind, table, keys = IdentityKind.ZENDESK, ZENDESK_TICKET, ("id",)
    else:
        kind, table, keys = IdentityKind.SERVICENOW, SERVICENOW_INCIDENT, ("number",)
    resolver = load_resolver(session, [kind, IdentityKind.EMAIL], True, lookups)
    run = start_run(session, reader.system, path)
    if source is not None:
        run.source_name = source[:500]
    writer = WorkWriter(session, run, resolver, reader.system, TICKET, table, keys)
    label = "Zendesk" if reader.system == ZENDESK else "ServiceNow"
    warnings = list(reader.warnings)
    if isinstance(json_table, ZendeskTicketPage):
        label += " API"
        if json_table.unknown_assignees:
            warnings.append(
                f"{json_table.unknown_assignees} tickets name an assignee_id that is not among "
                "the page's sideloaded users: they have no person"
            )
    elif json_table is not None:
        label += " JSONv2"
    assert reader.system in (ZENDESK, SERVICENOW)
    summary = run_import(session, path, run, reader, writer, problems, progress, label, warnings)
    if isinstance(json_table, ZendeskTicketPage) and json_table.deleted_ids:
        removed = forget_deleted_tickets(session, json_table.deleted_ids)
        summary = dataclasses.replace(
            summary, detail=f"{summary.detail}; {removed} deleted tickets removed"
        )
    return summary


def forget_deleted_tickets(session: Session, ids: Sequence[int]) -> int:
    """Remove tickets Zendesk reports deleted (their tool rows and work items); how many
    work items there were. A CSV export no longer lists them, so neither does gaplens."""
    items = work_item_ids(ZENDESK, [str(i) for i in ids])
    connection = session.connection()
    connection.execute(delete(TRANSITION).where(TRANSITION.c.work_item_id.in_(items)))
    gone = connection.execute(delete(WORK_ITEM).where(WORK_ITEM.c.id.in_(items)))
    connection.execute(delete(ZENDESK_TICKET).where(ZENDESK_TICKET.c.id.in_(list(ids))))
    return int(getattr(gone, "rowcount", 0) or 0)


def run_import(
    session: Session,
    path: Path,
    run: ImportRun,
    reader: RecordSource,
    writer: WorkWriter,
    problems: ProblemCollector,
    progress: ProgressCallback | None,
    label: str,
    warnings: Sequence[str] = (),
) -> ConnectorSummary:
    """The shared loop: validate every row, write while all is well, fail whole at the end.
    `warnings`: what the reader found missing from the export, passed on to the summary.

    A large file is parsed in a second process while this one writes (imports/parallel.py)."""
    # A bigger SQLite page cache for the duration: random-key index inserts stay in memory.
    with fewer_collections(), sqlite_page_cache(session), WriteBehind(session) as writes:
        raw = RawRowWriter(session, run, writes=writes)
        counts = run_import_loop(
            partial(_parse_and_batch, reader, writer, raw, problems),
            writes,
            progress,
            targets=(writer, raw),
            in_child=worth_a_second_process(path),
        )
    counts.apply(writer)
    finish_run(run, counts.rows_read, writer.written, writer.unresolved)
    forget_raw_of_same_file(session, run.kind, run.sha256, run.id)
    if progress is not None:
        progress(path.stat().st_size)
    detail = f"{label}; {writer.written} work items"
    if writer.transitions:
        detail += f", {writer.transitions} status changes"
    return ConnectorSummary(
        kind=run.kind,
        source=path.name,
        rows_read=counts.rows_read,
        rows_written=writer.written,
        rows_unresolved=writer.unresolved,
        unresolved_note=writer.resolver.unresolved_summary(),
        detail=detail,
        # The reader's warnings from its header (known before parsing) and from its rows
        # (counted where the parse ran, possibly a second process), each once.
        warnings=tuple(dict.fromkeys([*warnings, *counts.warnings])),
    )


@dataclass(frozen=True)
class WorkCounts:
    """What the import loop counted, returned from whichever process ran it."""

    rows_read: int
    written: int
    unresolved: int
    transitions: int
    misses: Counter[str]
    warnings: tuple[str, ...] = ()

    def apply(self, writer: WorkWriter) -> None:
        writer.written, writer.unresolved = self.written, self.unresolved
        writer.transitions = self.transitions
        writer.resolver.misses.clear()
        writer.resolver.misses.update(self.misses)


def _parse_and_batch(
    reader: RecordSource,
    writer: WorkWriter,
    raw: RawRowWriter,
    problems: ProblemCollector,
    writes: Writes,
    progress: ProgressCallback | None,
) -> WorkCounts:
    """Reads and validates every row, sending each batch's writes to `writes`."""
    writer.writes = raw.writes = writes
    add_raw, add = raw.add, writer.add
    for record in reader:
        if problems:
            continue  # keep validating to report every problem, but write nothing more
        add_raw(record.row, record.raw)
        if add(record) and progress is not None:
            progress(reader.bytes_read)
    problems.raise_if_any()
    writer.flush()
    raw.close()
    return WorkCounts(
        reader.rows_read,
        writer.written,
        writer.unresolved,
        writer.transitions,
        Counter(writer.resolver.misses),
        tuple(getattr(reader, "warnings", ())),
    )


class WorkWriter:
    """Buffers records and upserts tool rows, work items and their transitions per batch.

    Within a batch the last row for a key wins; across batches the later upsert does, so a
    key repeated in a file ends as its last row, exactly as importing the rows one by one.
    """

    def __init__(
        self,
        session: Session,
        run: ImportRun,
        resolver: IdentityResolver,
        source: str,
        kind: str,
        tool_table: Table | None = None,
        tool_keys: Sequence[str] = (),
        change_table: Table | None = None,
    ) -> None:
        self.session = session
        self.run_id = run.id
        self.resolver = resolver
        self.source = source
        self.kind = kind
        self.tool_table = tool_table
        self.tool_keys = tuple(tool_keys)
        self.change_table = change_table
        self.pending: dict[str, WorkRecord] = {}
        self._tool: BulkStatement | None = None
        self._items = BulkStatement(session, WORK_ITEM, ITEM_COLUMNS, ("id",))
        self._changes = BulkStatement(session, TRANSITION, CHANGE_COLUMNS)
        self._tool_changes = (
            BulkStatement(session, change_table, ("issue_key", *CHANGE_COLUMNS[1:]))
            if change_table is not None
            else None
        )
        self.writes: Writes = WriteBehind(session, threaded=False)
        """Where batches are written: inline, behind the parsing, or by the parent process
        (`run_import` sets it)."""
        self.written = self.unresolved = self.transitions = 0
        self._known: dict[tuple[str, ...], str | None] = {}
        """Assignee names already resolved (at most KNOWN_LIMIT, so memory stays flat)."""
        # Deleting old transitions per batch costs a lookup per key; skip it while none exist.
        self._had_transitions = bool(session.scalar(select(exists().select_from(TRANSITION))))

    def add(self, record: WorkRecord) -> bool:
        """Buffer one record; True when this flushed a batch (a moment to report progress)."""
        self.pending[record.key] = record
        if len(self.pending) >= BATCH_SIZE:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self.pending:
            return
        records = list(self.pending.values())
        self.pending = {}
        run_id = self.run_id
        tool_columns: list[str] = []
        tool_rows = None
        if self.tool_table is not None:
            tool_columns = [*records[0].tool_row, "import_run_id"]
            tool_rows = [[*r.tool_row.values(), run_id] for r in records]
        items = self._items_of(records)
        changes = [
            (record.key, item[0], ordinal, change.at, change.from_status, change.to_status)
            for record, item in zip(records, items, strict=True)
            if record.transitions
            for ordinal, change in enumerate(record.transitions, start=1)
        ]
        # Plain values only: the write may run in another process (imports/parallel.py).
        keys = [record.key for record in records] if self._had_transitions else None
        self.writes.submit(self._write, keys, tool_columns, tool_rows, items, changes)
        if changes:
            self._had_transitions = True
        self.written += len(items)
        self.transitions += len(changes)

    def _write(
        self,
        keys: list[str] | None,
        tool_columns: list[str],
        tool_rows: list[list[Any]] | None,
        items: list[tuple[Any, ...]],
        changes: list[tuple[Any, ...]],
    ) -> None:
        """One batch's statements, in the order that keeps foreign keys satisfied. `keys`:
        the batch's keys when earlier transitions may exist (to delete), else None."""
        if tool_rows is not None and self.tool_table is not None:
            if self._tool is None:
                self._tool = BulkStatement(
                    self.session, self.tool_table, tool_columns, self.tool_keys
                )
            self._tool.execute(tool_rows)
        if keys is not None:
            connection = self.session.connection()
            ids = [item[0] for item in items]
            connection.execute(delete(TRANSITION).where(TRANSITION.c.work_item_id.in_(ids)))
            if self.change_table is not None:
                connection.execute(
                    delete(self.change_table).where(self.change_table.c.issue_key.in_(keys))
                )
        self._items.execute(items)
        if changes:
            self._changes.execute([change[1:] for change in changes])
            if self._tool_changes is not None:
                self._tool_changes.execute([(change[0], *change[2:]) for change in changes])

    def _items_of(self, records: list[WorkRecord]) -> list[tuple[Any, ...]]:
        """The `work_item` rows (ITEM_COLUMNS order) of a batch, assignees resolved.

        One loop with everything local, and assignees resolved once per distinct set of
        names (an export names the same few thousand people row after row); the unresolved
        still count once per row."""
        source, kind, run_id = self.source, self.kind, self.run_id
        team_of = self.resolver.team_of
        known = self._known
        if len(known) >= KNOWN_LIMIT:
            known.clear()
        misses = self.resolver.misses
        items: list[tuple[Any, ...]] = []
        append = items.append
        unresolved = 0
        for record, item_id in zip(
            records, work_item_ids(source, [r.key for r in records]), strict=True
        ):
            refs = record.assignee_refs
            person: str | None
            ref: str | None
            team: int | None
            if refs:
                person = known.get(refs, _UNKNOWN)
                if person is _UNKNOWN:
                    person = known[refs] = self._resolve(refs)
                if person is None:
                    unresolved += 1
                    misses[refs[-1].strip()] += 1
                    team = None
                else:
                    team = team_of.get(person)
                ref = refs[0][:320]
            else:
                person = ref = team = None
            append(
                (
                    item_id,
                    source,
                    record.key[:100],
                    kind,
                    record.item_type,
                    record.status[:64],
                    record.status_category,
                    person,
                    ref,
                    team,
                    record.created_at,
                    record.started_at,
                    record.resolved_at,
                    record.story_points,
                    record.sprint,
                    record.reopen_count,
                    record.rework_count,
                    run_id,
                )
            )
        self.unresolved += unresolved
        return items

    def _resolve(self, refs: tuple[str, ...]) -> str | None:
        """The first reference the directory knows, or None (the caller counts the miss)."""
        by_value = self.resolver.by_value
        by_name = self.resolver.by_display_name
        for ref in refs:
            key = ref.strip().lower()
            person = by_value.get(key) or by_name.get(key)
            if person is not None:
                return person
        return None


def _starts_like_json(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")
