"""Reads Zendesk ticket and ServiceNow incident exports one row at a time.

Zendesk: the Support ticket CSV export (`Id`, `Created at`, ...) or a Zendesk Explore report
exported as CSV (`Ticket ID`, `Ticket created - Timestamp`, ...). ServiceNow: the list's CSV
export, or its JSONv2 export (`{"records": [...]}`, read by `servicenow_json.ServiceNowJson`).

Only the workflow columns are read. Requester, caller, submitter, subject, description and
comments hold customer data, so they are not stored anywhere: the raw row kept for each
record is the export's row with every column gaplens does not read blanked out.
ServiceNow exports name columns either by field (`assigned_to`) or by label (`Assigned to`);
both are accepted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from gaplens.connectors.export_csv import ExportCsv
from gaplens.connectors.work_records import (
    DATE_FORMATS_HELP,
    CsvLine,
    NumericDates,
    WorkRecord,
    clip,
    optional,
    parse_timestamp,
)
from gaplens.errors import InputError, ProblemCollector
from gaplens.work.schemas import DONE, IN_PROGRESS, TODO

ZENDESK = "zendesk"
SERVICENOW = "servicenow"
SYSTEMS = (ZENDESK, SERVICENOW)

ZENDESK_CREATED = ("Created at", "Ticket created - Timestamp", "Ticket created - Date")
ZENDESK_REQUIRED = (("Id", "Ticket ID"), ("Status", "Ticket status"), ZENDESK_CREATED)
"""Each with the Support export's name first, then Explore's attribute names."""
ZENDESK_OPTIONAL = {
    "ticket_type": ("Type", "Ticket type"),
    "priority": ("Priority", "Ticket priority"),
    "assignee": ("Assignee", "Assignee name"),
    "assignee_email": ("Assignee email",),
    "group_name": ("Group", "Ticket group", "Group name"),
    "updated_at": ("Updated at", "Ticket updated - Timestamp", "Ticket updated - Date"),
    "solved_at": ("Solved at", "Ticket solved - Timestamp", "Ticket solved - Date"),
    "reopens": ("Reopens", "SUM(Reopens)"),
    "replies": ("Replies", "SUM(Replies)"),
}
SERVICENOW_REQUIRED = (
    ("number", "Number"),
    ("state", "State", "incident_state"),
    ("opened_at", "Opened"),
)
SERVICENOW_OPTIONAL = {
    "priority": ("priority",),
    "category": ("category",),
    "assigned_to": ("assigned_to", "Assigned to"),
    "assigned_to_name": ("dv_assigned_to",),
    "assignment_group": ("dv_assignment_group", "assignment_group", "Assignment group"),
    "resolved_at": ("resolved_at", "Resolved"),
    "closed_at": ("closed_at", "Closed"),
    "reopen_count": ("reopen_count", "Reopen count"),
}
ZENDESK_STATUS = {
    "new": TODO,
    "open": IN_PROGRESS,
    "pending": IN_PROGRESS,
    "hold": IN_PROGRESS,
    "on-hold": IN_PROGRESS,
    "solved": DONE,
    "closed": DONE,
}
SERVICENOW_STATE = {
    "new": TODO,
    "1": TODO,
    "in progress": IN_PROGRESS,
    "active": IN_PROGRESS,
    "2": IN_PROGRESS,
    "on hold": IN_PROGRESS,
    "awaiting user info": IN_PROGRESS,
    "3": IN_PROGRESS,
    "resolved": DONE,
    "6": DONE,
    "closed": DONE,
    "7": DONE,
    "canceled": DONE,
    "cancelled": DONE,
    "8": DONE,
}


class TicketTable(Protocol):
    """Rows of named columns, as `ExportCsv` gives them: what `TicketsReader` reads."""

    source: str
    names: tuple[str, ...]

    @property
    def rows_read(self) -> int: ...

    @property
    def bytes_read(self) -> int: ...

    def first(self, *names: str) -> tuple[int, str] | None: ...

    def require(self, kind: str, columns: Sequence[Sequence[str]]) -> list[tuple[int, str]]: ...

    def column_values(self, positions: Sequence[int]) -> Iterator[str]: ...

    def __iter__(self) -> Iterator[tuple[int, list[str]]]: ...

    def close(self) -> None: ...


def detect_system(csv: TicketTable) -> str:
    """zendesk or servicenow, from the header; an InputError naming both if neither fits."""
    if csv.first("Id", "Ticket ID") and csv.first(*ZENDESK_CREATED):
        return ZENDESK
    if csv.first("number") and csv.first("opened_at", "Opened"):
        return SERVICENOW
    csv.close()
    raise InputError.single(
        "this does not look like a Zendesk ticket export (Id, Status, Created at, ...), a "
        "Zendesk Explore export (Ticket ID, Ticket status, Ticket created - Timestamp, ...) or "
        "a ServiceNow incident export (number, state, opened_at, ...); use --system to say "
        "which",
        csv.source,
        1,
    )


class TicketsReader:
    """Yields one `WorkRecord` per valid ticket or incident; problems go to the collector."""

    def __init__(
        self,
        path: Path,
        problems: ProblemCollector,
        system: str | None = None,
        table: TicketTable | None = None,
    ) -> None:
        """`table`: the rows when they are not a CSV file (a ServiceNow JSONv2 export)."""
        if system is not None and system not in SYSTEMS:
            raise InputError.single(
                f"unknown system '{system}' (zendesk or servicenow)", "--system"
            )
        self.csv: TicketTable = table if table is not None else ExportCsv(path)
        self.system = system or detect_system(self.csv)
        self.problems = problems
        zendesk = self.system == ZENDESK
        kind = "a Zendesk ticket export" if zendesk else "a ServiceNow incident export"
        required = self.csv.require(kind, ZENDESK_REQUIRED if zendesk else SERVICENOW_REQUIRED)
        self.key, self.status, self.created = required
        self.optional = {
            name: self.csv.first(*spellings)
            for name, spellings in (ZENDESK_OPTIONAL if zendesk else SERVICENOW_OPTIONAL).items()
        }
        dates = [self.created[0]] + [
            spot[0]
            for name in ("updated_at", "solved_at", "resolved_at", "closed_at")
            if (spot := self.optional.get(name))
        ]
        self.numeric_dates = NumericDates(lambda: self.csv.column_values(dates))
        self.warnings = self._warnings()

    def _warnings(self) -> list[str]:
        """What the metrics will lack because the export lacks a column (they say "not enough
        data" for it), said at import, when the export can still be redone."""
        opt = self.optional
        if self.system == ZENDESK:
            missing = [
                (opt["solved_at"] is None, "Solved at", "throughput and time to resolution"),
                (opt["reopens"] is None, "Reopens", "reopen rate"),
                (
                    opt["assignee"] is None and opt["assignee_email"] is None,
                    "Assignee",
                    "every work metric (no ticket has a person)",
                ),
            ]
        else:
            missing = [
                (
                    opt["resolved_at"] is None and opt["closed_at"] is None,
                    "resolved_at or closed_at",
                    "throughput and time to resolution",
                ),
                (opt["reopen_count"] is None, "reopen_count", "reopen rate"),
                (
                    opt["assigned_to"] is None and opt["assigned_to_name"] is None,
                    "assigned_to",
                    "every work metric (no ticket has a person)",
                ),
            ]
        return [
            f'the export has no {column} column: {metrics} will be "not enough data" '
            "for these tickets"
            for absent, column, metrics in missing
            if absent
        ]

    def _bad_date(self, text: str) -> str:
        return self.numeric_dates.problem(text) or _bad_date(text)

    @property
    def rows_read(self) -> int:
        return self.csv.rows_read

    @property
    def bytes_read(self) -> int:
        return self.csv.bytes_read

    def __iter__(self) -> Iterator[WorkRecord]:
        problems = self.problems
        opt = self.optional
        line: Callable[[list[str]], str] = getattr(self.csv, "raw_line", None) or CsvLine()
        numeric = self.numeric_dates.parse
        zendesk = self.system == ZENDESK
        kept = {self.key[0], self.status[0], self.created[0]}
        kept.update(spot[0] for spot in opt.values() if spot is not None)
        width = len(self.csv.names)
        blank = [i for i in range(width) if i not in kept]

        def text(fields: list[str], name: str, limit: int) -> str | None:
            spot = opt[name]
            return optional(fields[spot[0]], limit) if spot is not None else None

        def when(fields: list[str], row: int, name: str) -> dt.datetime | None:
            spot = opt[name]
            if spot is None or not fields[spot[0]].strip():
                return None
            value = parse_timestamp(fields[spot[0]]) or numeric(fields[spot[0]])
            if value is None:
                problems.add(self._bad_date(fields[spot[0]]), row, spot[1])
            return value

        def count(fields: list[str], row: int, name: str) -> int | None:
            spot = opt[name]
            if spot is None or not fields[spot[0]].strip():
                return None
            value = fields[spot[0]].strip()
            if not (value.isascii() and value.isdigit()) or len(value) > 9:
                problems.add(f"'{clip(value)}' is not a whole number", row, spot[1])
                return None
            return int(value)

        for row, fields in self.csv:
            before = problems.count
            key = fields[self.key[0]].strip()
            if not key:
                problems.add("a value is required", row, self.key[1])
            elif zendesk and (not (key.isascii() and key.isdigit()) or len(key) > 18):
                problems.add(f"'{clip(key)}' is not a Zendesk ticket id", row, self.key[1])
            elif len(key) > 40:
                problems.add("longer than 40 characters", row, self.key[1])
            status = fields[self.status[0]].strip()[:32]
            if not status:
                problems.add("a value is required", row, self.status[1])
            raw = fields[self.created[0]]
            created = parse_timestamp(raw) or (numeric(raw) if raw.strip() else None)
            if created is None:
                problems.add(
                    self._bad_date(raw) if raw.strip() else "a value is required",
                    row,
                    self.created[1],
                )
            if zendesk:
                updated, solved = when(fields, row, "updated_at"), when(fields, row, "solved_at")
                reopens, replies = count(fields, row, "reopens"), count(fields, row, "replies")
            else:
                resolved, closed = when(fields, row, "resolved_at"), when(fields, row, "closed_at")
                reopens = count(fields, row, "reopen_count")
            if problems.count != before or created is None:
                continue
            if zendesk:
                assignee = text(fields, "assignee", 320)
                email = text(fields, "assignee_email", 320)
                ticket_type = text(fields, "ticket_type", 32)
                category = ZENDESK_STATUS.get(status.lower())
                tool_row: dict[str, object] = {
                    "id": int(key),
                    "status": status,
                    "ticket_type": ticket_type,
                    "priority": text(fields, "priority", 32),
                    "assignee": email or assignee,
                    "group_name": text(fields, "group_name", 200),
                    "created_at": created,
                    "updated_at": updated,
                    "solved_at": solved,
                    "reopens": reopens,
                    "replies": replies,
                    "source_row": row,
                }
                refs = tuple(ref for ref in (email, assignee) if ref)
                done_at = solved
            else:
                assignee = text(fields, "assigned_to", 320)
                assignee_name = text(fields, "assigned_to_name", 320)
                ticket_type = text(fields, "category", 64)
                category = SERVICENOW_STATE.get(status.lower())
                tool_row = {
                    "number": key,
                    "state": status,
                    "priority": text(fields, "priority", 40),
                    "category": text(fields, "category", 100),
                    "assigned_to": assignee_name or assignee,
                    "assignment_group": text(fields, "assignment_group", 200),
                    "opened_at": created,
                    "resolved_at": resolved,
                    "closed_at": closed,
                    "reopen_count": reopens,
                    "source_row": row,
                }
                refs = tuple(ref for ref in (assignee, assignee_name) if ref)
                done_at = resolved or closed
            for position in blank:
                fields[position] = ""
            yield WorkRecord(
                row=row,
                raw=line(fields),
                key=key,
                tool_row=tool_row,
                status=status,
                created_at=created,
                item_type=ticket_type,
                status_category=category,
                assignee_refs=refs,
                resolved_at=done_at,
                reopen_count=reopens,
            )


def _bad_date(text: str) -> str:
    return f"'{clip(text.strip())}' is not a date ({DATE_FORMATS_HELP})"
