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
    NumericDates,
    WorkRecord,
    category_of,
    clip,
    parse_timestamp,
    timestamp_memo,
)
from gaplens.errors import InputError, ProblemCollector
from gaplens.work.schemas import DONE, IN_PROGRESS, TODO

KIND = (
    "a Jira CSV export with English column names (Jira may name the columns in the "
    "exporting user's language: export with the profile language set to English)"
)
STORY_POINTS = ("Custom field (Story Points)", "Custom field (Story point estimate)")
"""Company-managed projects fill the first, team-managed ones the second; an export across
both has both columns, each row filling one. Per row the first filled one is read."""
START_DATE = (
    "Custom field (Start date)",
    "Custom field (Start Date)",
    "Custom field (Actual start)",
    "Start date",
)
STATUS_CATEGORY_NAMES = {"to do": TODO, "in progress": IN_PROGRESS, "done": DONE}
_MISSING = dt.datetime(1, 1, 1, 0, 0, 0, 1)
"""Not in the timestamp memo: told apart by identity, no parsed value is this object."""


class JiraCsvReader:
    """Yields one `WorkRecord` per valid row; problems go to the collector with row and column."""

    def __init__(self, path: Path, problems: ProblemCollector) -> None:
        self.csv = ExportCsv(path, keep_text=True)
        self.problems = problems
        if self.csv.first("Issue key", "Key") is None and self.csv.first("Created") is None:
            # `Status` is spelt alike in several languages: the key and date columns tell.
            self.csv.close()
            raise InputError.single(
                f"this does not look like {KIND}: neither Issue key nor Created is in the header",
                self.csv.source,
                1,
            )
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
                "start": START_DATE,
            }.items()
        }
        self.points = [spot for name in STORY_POINTS if (spot := self.csv.first(name))]
        self.sprints = self.csv.all("Sprint")
        self.labels = self.csv.all("Labels")
        dates = [self.created_at] + [
            spot[0] for name in ("updated", "resolved", "start") if (spot := self.optional[name])
        ]
        self.numeric_dates = NumericDates(lambda: self.csv.column_values(dates))
        self.warnings = self._warnings()

    def _warnings(self) -> list[str]:
        """What the metrics will lack because the export lacks a column (they say "not enough
        data" for it): said at import, when the export can still be redone."""
        missing = [
            (
                not self.points,
                "Custom field (Story Points) or (Story point estimate)",
                "story points per sprint",
            ),
            (not self.sprints, "Sprint", "story points per sprint"),
            (
                self.optional["resolved"] is None,
                "Resolved",
                "throughput, cycle time and story points per sprint",
            ),
            (
                self.optional["assignee"] is None and self.optional["assignee_id"] is None,
                "Assignee or Assignee Id",
                "every work metric (no issue has a person)",
            ),
        ]
        return [
            f'the export has no {column} column: {metrics} will be "not enough data" '
            "for these issues"
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
        # One loop per row, values looked up before functions are called: a million-row
        # export makes every step here count (bench/RESULTS.md, "Importing tool exports").
        problems = self.problems
        width = len(self.csv.names)
        # An absent optional column reads the empty sentinel appended to every row.
        at = {name: spot[0] if spot else width for name, spot in self.optional.items()}
        named = {name: spot[1] for name, spot in self.optional.items() if spot}
        i_key, key_name = self.key_at, self.key_name
        i_status, status_name = self.status_at, self.status_name
        i_created, created_name = self.created_at, self.created_name
        i_id, i_project, i_type, i_summary = (
            at["issue_id"],
            at["project"],
            at["issue_type"],
            at["summary"],
        )
        i_assignee, i_account, i_category = at["assignee"], at["assignee_id"], at["status_category"]
        i_updated, i_resolved, i_start = at["updated"], at["resolved"], at["start"]
        updated_name, resolved_name, start_name = (
            named.get(name, "") for name in ("updated", "resolved", "start")
        )
        points_at = [spot[0] for spot in self.points]
        points_name = {spot[0]: spot[1] for spot in self.points}
        numeric = self.numeric_dates.parse
        decimal_comma = self.csv.delimiter != ","
        sprint_at, label_at = self.sprints, self.labels
        categories: dict[tuple[str, str], str | None] = {}
        seen = timestamp_memo().get
        missing = _MISSING

        for row, fields, text in self.csv.records():
            before = problems.count
            fields.append("")
            key = fields[i_key].strip()
            if not key:
                problems.add("a value is required", row, key_name)
            elif len(key) > 64:
                problems.add("longer than 64 characters", row, key_name)
            status = fields[i_status].strip()[:64]
            if not status:
                problems.add("a value is required", row, status_name)
            value = fields[i_created]
            created = seen(value, missing)
            if created is missing:
                created = parse_timestamp(value)
            if created is None and value and not value.isspace():
                created = numeric(value)
            if created is None:
                problems.add(
                    self._bad_date(value) if value.strip() else "a value is required",
                    row,
                    created_name,
                )
            # Optional dates: empty is None, anything else must parse.
            value = fields[i_updated]
            updated = seen(value, missing)
            if updated is missing:
                updated = parse_timestamp(value)
            if updated is None and value and not value.isspace():
                updated = numeric(value)
                if updated is None:
                    problems.add(self._bad_date(value), row, updated_name)
            value = fields[i_resolved]
            resolved = seen(value, missing)
            if resolved is missing:
                resolved = parse_timestamp(value)
            if resolved is None and value and not value.isspace():
                resolved = numeric(value)
                if resolved is None:
                    problems.add(self._bad_date(value), row, resolved_name)
            value = fields[i_start]
            started = seen(value, missing)
            if started is missing:
                started = parse_timestamp(value)
            if started is None and value and not value.isspace():
                started = numeric(value)
                if started is None:
                    problems.add(self._bad_date(value), row, start_name)
            points = None
            for i_points in points_at:
                value = fields[i_points].strip()
                if value:
                    points = _number(value, decimal_comma)
                    if points is None:
                        problems.add(f"'{clip(value)}' is not a number", row, points_name[i_points])
                    break
            if problems.count != before or created is None:
                continue
            declared = fields[i_category].strip()
            category = categories.get((declared, status), "?")
            if category == "?":
                category = categories[declared, status] = _category(declared, status)
            sprints = [s for i in sprint_at if (s := fields[i].strip())]
            labels = [s for i in label_at if (s := fields[i].strip())]
            assignee = fields[i_assignee].strip()[:320]
            account = fields[i_account].strip()[:320]
            issue_type = fields[i_type].strip()[:64] or None
            if account:
                refs: tuple[str, ...] = (account, assignee) if assignee else (account,)
            else:
                refs = (assignee,) if assignee else ()
            yield WorkRecord(
                row,
                text,
                key,
                {
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
                status,
                created,
                issue_type,
                category,
                refs,
                started,
                resolved,
                points,
                sprints[-1][:200] if sprints else None,
            )


def _category(declared: str, status: str) -> str | None:
    """The export's own Status Category column when present, else the common-name mapping."""
    if declared:
        category = STATUS_CATEGORY_NAMES.get(declared.lower()) or STATUS_CATEGORY_KEYS.get(
            declared.lower()
        )
        if category is not None:
            return category
    return category_of(status)


def _number(text: str, decimal_comma: bool = False) -> float | None:
    """A finite number; `decimal_comma`: `2,5` is 2.5 (a file Excel saved with semicolons)."""
    if decimal_comma and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _bad_date(text: str) -> str:
    return f"'{clip(text.strip())}' is not a date Jira exports ({DATE_FORMATS_HELP})"
