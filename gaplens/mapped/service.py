"""`gaplens import csv`: any CSV with a declared mapping, into work items, AI usage or training.

Same contract as the tool connectors: one run in the caller's transaction, every source row
kept raw, deterministic ids (uuid5 of `source:key`), upserts so re-imports replace exactly,
and people resolved through the directory with the identity kind the mapping names, or by
display name (only a name one person carries: a shared one is refused, naming the row). AI usage
and training rows need a person: rows naming someone not in the directory are kept raw,
counted and named in the summary, but cannot become domain rows.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from gaplens.connectors.csv_file import check_not_binary
from gaplens.connectors.mapped_csv import MappedCsvReader, MappedRow, load_mapping
from gaplens.connectors.work_records import WorkRecord, clip
from gaplens.directory.identities import IdentityResolver
from gaplens.directory.schemas import IdentityKind
from gaplens.errors import ProblemCollector
from gaplens.imports.bulk import BulkStatement
from gaplens.imports.raw import RawRowWriter, forget_raw_of_same_file
from gaplens.imports.service import ConnectorSummary, ProgressCallback, finish_run, start_run
from gaplens.telemetry.models import AiUsageDay, TrainingRecord
from gaplens.work.service import BATCH_SIZE, WORK_ITEM_NAMESPACE, WorkWriter

AI_USAGE = cast(Table, AiUsageDay.__table__)
TRAINING = cast(Table, TrainingRecord.__table__)
USAGE_COLUMNS = (
    "person_id",
    "day",
    "tool",
    "app",
    "interactions",
    "suggestions",
    "acceptances",
    "loc_suggested",
    "loc_added",
    "import_run_id",
)
TRAINING_COLUMNS = ("id", "person_id", "kind", "name", "completed_on", "import_run_id")


def import_mapped_csv(
    session: Session,
    csv_path: Path,
    mapping_path: Path,
    progress: ProgressCallback | None = None,
) -> ConnectorSummary:
    """All or nothing: the mapping is checked, then every row, before anything is committed."""
    mapping = load_mapping(mapping_path)
    check_not_binary(csv_path, utf8=False)
    problems = ProblemCollector(csv_path.name)
    reader = MappedCsvReader(csv_path, mapping, problems)
    by_name = mapping.identity == "name"
    resolver = IdentityResolver.load(
        session, [] if by_name else [IdentityKind(mapping.identity)], display_names=by_name
    )
    shared = resolver.shared_names
    person_column = mapping.columns.get("person", "")
    run = start_run(session, f"csv:{mapping.target}"[:32], csv_path, scope=mapping.source)
    raw = RawRowWriter(session, run)
    sink: _Sink
    if mapping.target == "work_items":
        sink = _WorkItems(WorkWriter(session, run, resolver, mapping.source, mapping.kind), reader)
    else:
        sink = _PersonRows(session, run.id, resolver, mapping.target, mapping.source)
    for parsed in reader:
        person = parsed.values.get("person")
        if shared and person and person.lower() in shared:
            problems.add(
                f"'{clip(person)}' is the display name of {shared[person.lower()]} people in "
                "the directory: name them by email or account instead",
                parsed.row,
                person_column,
            )
        if problems:
            continue
        raw.add(parsed.row, parsed.raw)
        if sink.add(parsed) and progress is not None:
            progress(reader.bytes_read)
    problems.raise_if_any()
    sink.flush()
    raw.close()
    finish_run(run, reader.rows_read, sink.written, sink.unresolved)
    forget_raw_of_same_file(session, run.kind, run.sha256, run.id)
    if progress is not None:
        progress(csv_path.stat().st_size)
    return ConnectorSummary(
        kind=run.kind,
        source=csv_path.name,
        rows_read=reader.rows_read,
        rows_written=sink.written,
        rows_unresolved=sink.unresolved,
        unresolved_note=resolver.unresolved_summary(),
        detail=f"mapping {mapping_path.name}: {mapping.target} from {mapping.source}",
    )


class _Sink(Protocol):
    @property
    def written(self) -> int: ...

    @property
    def unresolved(self) -> int: ...

    def add(self, parsed: MappedRow) -> bool: ...

    def flush(self) -> None: ...


class _WorkItems:
    """Mapped rows become work records and go through the same writer as Jira and tickets."""

    def __init__(self, writer: WorkWriter, reader: MappedCsvReader) -> None:
        self.writer = writer
        self.reader = reader

    def add(self, parsed: MappedRow) -> bool:
        v = parsed.values
        status: str = v["status"]
        person = v.get("person")
        record = WorkRecord(
            row=parsed.row,
            raw=parsed.raw,
            key=v["key"],
            tool_row={},
            status=status,
            created_at=v["created_at"],
            item_type=v.get("item_type"),
            status_category=v.get("status_category") or self.reader.status_category(status),
            assignee_refs=(person,) if person else (),
            started_at=v.get("started_at"),
            resolved_at=v.get("resolved_at"),
            story_points=v.get("story_points"),
            sprint=v.get("sprint"),
            reopen_count=v.get("reopen_count"),
            rework_count=v.get("rework_count"),
        )
        return self.writer.add(record)

    def flush(self) -> None:
        self.writer.flush()

    @property
    def written(self) -> int:
        return self.writer.written

    @property
    def unresolved(self) -> int:
        return self.writer.unresolved


class _PersonRows:
    """AI-usage days and training records: keyed on the person, so unresolved rows wait."""

    def __init__(
        self, session: Session, run_id: int, resolver: IdentityResolver, target: str, source: str
    ) -> None:
        self.resolver = resolver
        self.run_id = run_id
        self.target = target
        self.source = source
        self.rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        if target == "ai_usage":
            self.statement = BulkStatement(
                session, AI_USAGE, USAGE_COLUMNS, ("person_id", "day", "tool", "app")
            )
        else:
            self.statement = BulkStatement(session, TRAINING, TRAINING_COLUMNS, ("id",))
        self.written = self.unresolved = 0

    def add(self, parsed: MappedRow) -> bool:
        v = parsed.values
        ref: str = v["person"]
        person = self.resolver.resolve(ref)
        if person is None:
            self.unresolved += 1
            return False
        if self.target == "ai_usage":
            key: tuple[Any, ...] = (person, v["day"], self.source[:32], v.get("app") or "any")
            self.rows[key] = (
                *key,
                v.get("interactions"),
                v.get("suggestions"),
                v.get("acceptances"),
                v.get("loc_suggested"),
                v.get("loc_added"),
                self.run_id,
            )
        else:
            natural = v.get("key") or f"{ref.lower()}:{v['name']}:{v['completed_on']}"
            item_id = str(uuid.uuid5(WORK_ITEM_NAMESPACE, f"{self.source}:training:{natural}"))
            self.rows[(item_id,)] = (
                item_id,
                person,
                v.get("kind") or "training",
                v["name"],
                v["completed_on"],
                self.run_id,
            )
        if len(self.rows) >= BATCH_SIZE:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if self.rows:
            self.written += self.statement.execute(self.rows.values())
            self.rows = {}
