"""Reads a Jira CSV export ("Export CSV (all fields)" or "current fields") one row at a time.

The export has no status history, so start times and reopen/rework counts stay empty unless
the site has a start-date custom field. Column names are matched case-insensitively; repeated
`Sprint` and `Labels` columns are read as one multi-valued field. Everything else in the
export (descriptions, comments, watchers, attachments) is ignored and not stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from gaplens.connectors.export_csv import ExportCsv
from gaplens.connectors.work_records import (
    DATE_FORMATS_HELP,
    STATUS_CATEGORY_KEYS,
    CsvLine,
    WorkRecord,
    category_of,
    clip,
    parse_timestamp,
)
from gaplens.errors import ProblemCollector
from gaplens.work.models import DONE, IN_PROGRESS, TODO

KIND = "a Jira CSV export"
STORY_POINTS = ("Custom field (Story Points)", "Custom field (Story point estimate)")
START_DATE = (
    "Custom field (Start date)",
    "Custom field (Start Date)",
    "Custom field (Actual start)",
    "Start date",
)
STATUS_CATEGORY_NAMES = {"to do": TODO, "in progress": IN_PROGRESS, "done": DONE}


class JiraCsvReader:
    """Yields one `WorkRecord` per valid row; problems go to the collector with row and column."""

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.csv = ExportCsv(path)
        self.problems = problems
        (self.key_at, self.key_name), (self.status_at, self.status_name), created = (
            self.csv.require(KIND, (("Issue key", "Key"), ("Status",), ("Created",)))
        )
        self.created_at, self.created_name = created
        self.optional = {
            name: self.csv.first(*spellings)
            for name, spellings in {
                "issue_id": ("Issue id",),
                "issue_type": ("Issue Type",),
                "project": ("Project key",),
                "summary": ("Summary",),
                "assignee": ("Assignee",),
                "assignee_id": ("Assignee Id",),
                "updated": ("Updated",),
                "resolved": ("Resolved",),
                "status_category": ("Status Category",),
                "story_points": STORY_POINTS,
                "start": START_DATE,
            }.items()
        }
        self.sprints = self.csv.all("Sprint")
        self.labels = self.csv.all("Labels")

    @property
    def rows_read(self) -> int:
        return self.csv.rows_read

    @property
    def bytes_read(self) -> int:
        return self.csv.bytes_read

    def __iter__(self) -> Iterator[WorkRecord]:
        problems = self.problems
        line = CsvLine()
        width = len(self.csv.names)
        # An absent optional column reads the empty sentinel appended to every row.
        at = {name: spot[0] if spot else width for name, spot in self.optional.items()}
        named = {name: spot[1] for name, spot in self.optional.items() if spot}
        i_id, i_project, i_type, i_summary = (
            at["issue_id"],
            at["project"],
            at["issue_type"],
            at["summary"],
        )
        i_assignee, i_account, i_category = at["assignee"], at["assignee_id"], at["status_category"]
        dates = [(at[name], named.get(name, "")) for name in ("updated", "resolved", "start")]
        i_points = at["story_points"]
        sprint_at, label_at = self.sprints, self.labels
        categories: dict[tuple[str, str], str | None] = {}

        for row, fields in self.csv:
            before = problems.count
            fields.append("")
            key = fields[self.key_at].strip()
            if not key:
                problems.add("a value is required", row, self.key_name)
            elif len(key) > 64:
                problems.add("longer than 64 characters", row, self.key_name)
            status = fields[self.status_at].strip()[:64]
            if not status:
                problems.add("a value is required", row, self.status_name)
            created = parse_timestamp(fields[self.created_at])
            if created is None:
                raw_created = fields[self.created_at]
                problems.add(
                    _bad_date(raw_created) if raw_created.strip() else "a value is required",
                    row,
                    self.created_name,
                )
            updated, resolved, started = (
                _date(fields[position], row, column, problems) for position, column in dates
            )
            points = None
            text = fields[i_points].strip()
            if text:
                points = _number(text)
                if points is None:
                    problems.add(f"'{clip(text)}' is not a number", row, named["story_points"])
            if problems.count != before or created is None:
                continue
            declared = fields[i_category].strip()
            category = categories.get((declared, status), "?")
            if category == "?":
                category = categories[declared, status] = _category(declared, status)
            sprints = [s for s in (fields[i].strip() for i in sprint_at) if s]
            labels = [s for s in (fields[i].strip() for i in label_at) if s]
            assignee = fields[i_assignee].strip()[:320]
            account = fields[i_account].strip()[:320]
            issue_type = fields[i_type].strip()[:64] or None
            yield WorkRecord(
                row=row,
                raw=line(fields[:-1]),
                key=key,
                tool_row={
                    "key": key,
                    "issue_id": fields[i_id].strip()[:32] or None,
                    "project": fields[i_project].strip()[:100] or None,
                    "issue_type": issue_type,
                    "summary": fields[i_summary].strip()[:10_000] or None,
                    "status": status,
                    "status_category": category,
                    "assignee": account or assignee or None,
                    "created": created,
                    "updated": updated,
                    "resolved": resolved,
                    "story_points": points,
                    "sprints": "\n".join(sprints) or None,
                    "labels": " ".join(labels) or None,
                    "source_row": row,
                },
                status=status,
                created_at=created,
                item_type=issue_type,
                status_category=category,
                assignee_refs=tuple(ref for ref in (account, assignee) if ref),
                started_at=started,
                resolved_at=resolved,
                story_points=points,
                sprint=sprints[-1][:200] if sprints else None,
            )


def _date(text: str, row: int, column: str, problems: ProblemCollector) -> dt.datetime | None:
    if not text or text.isspace():
        return None
    value = parse_timestamp(text)
    if value is None:
        problems.add(_bad_date(text), row, column)
    return value


def _category(declared: str, status: str) -> str | None:
    """The export's own Status Category column when present, else the common-name mapping."""
    if declared:
        category = STATUS_CATEGORY_NAMES.get(declared.lower()) or STATUS_CATEGORY_KEYS.get(
            declared.lower()
        )
        if category is not None:
            return category
    return category_of(status)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _bad_date(text: str) -> str:
    return f"'{clip(text.strip())}' is not a date Jira exports ({DATE_FORMATS_HELP})"
