"""Any CSV through a declared TOML mapping: which column holds which gaplens field.

The mapping file is validated whole before the CSV is opened, each problem naming the mapping
file and the key at fault. Rows are then parsed as they stream past: dates with the declared
strftime pattern (or by default the ISO, Jira and spreadsheet forms `parse_timestamp` and
`NumericDates` read), numbers, and status values mapped to
to-do / in progress / done.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaplens.connectors.export_csv import ExportCsv
from gaplens.connectors.work_records import (
    CATEGORIES,
    DATE_FORMATS_HELP,
    CsvLine,
    NumericDates,
    category_of,
    clip,
    parse_timestamp,
)
from gaplens.errors import InputError, InputProblem, ProblemCollector


@dataclass(frozen=True)
class Target:
    required: tuple[str, ...]
    optional: tuple[str, ...]


TARGETS = {
    "work_items": Target(
        ("key", "status", "created_at"),
        (
            "item_type",
            "person",
            "started_at",
            "resolved_at",
            "story_points",
            "sprint",
            "reopen_count",
            "rework_count",
            "status_category",
        ),
    ),
    "ai_usage": Target(
        ("person", "day"),
        ("app", "interactions", "suggestions", "acceptances", "loc_suggested", "loc_added"),
    ),
    "training": Target(("person", "name", "completed_on"), ("kind", "key")),
}
DATETIME_FIELDS = frozenset({"created_at", "started_at", "resolved_at"})
DATE_FIELDS = frozenset({"day", "completed_on"})
INT_FIELDS = frozenset(
    {
        "reopen_count",
        "rework_count",
        "interactions",
        "suggestions",
        "acceptances",
        "loc_suggested",
        "loc_added",
    }
)
FLOAT_FIELDS = frozenset({"story_points"})
TEXT_LIMITS = {
    "key": 100,
    "status": 64,
    "item_type": 64,
    "person": 320,
    "sprint": 200,
    "app": 32,
    "name": 200,
    "kind": 16,
}
IDENTITIES = ("email", "github", "jira", "name")
"""How the person column names people; `name` is the directory's display name."""
TOP_LEVEL = {"target", "source", "identity", "kind", "columns", "formats", "values"}
SOURCE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
_DIRECTIVE = re.compile(r"%(.)")
_KNOWN_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWcxXGuV%")


@dataclass(frozen=True)
class Mapping:
    """A validated mapping file."""

    path: Path
    target: str
    source: str
    identity: str
    kind: str
    columns: dict[str, str]
    formats: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def load_mapping(path: Path) -> Mapping:
    """Reads and checks a mapping file; every problem names the file and the key."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError.single("mapping file not found", name) from None
    except (UnicodeDecodeError, IsADirectoryError):
        raise InputError.single("the mapping file is not UTF-8 text", name) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError.single(f"not valid TOML: {error}", name) from None
    problems: list[str] = []
    for key in data:
        if key not in TOP_LEVEL:
            problems.append(f"key '{key}': unknown key (expected {', '.join(sorted(TOP_LEVEL))})")
    target = data.get("target")
    spec = TARGETS.get(target) if isinstance(target, str) else None
    if spec is None:
        problems.append(f"key 'target': {_shown(target)} is not a target ({', '.join(TARGETS)})")
    source = data.get("source")
    if not isinstance(source, str) or not SOURCE_PATTERN.match(source):
        problems.append(
            f"key 'source': {_shown(source)} is not a short source name "
            "(lower-case letters, digits, '-', '_', '.', at most 32), e.g. \"linear\""
        )
    identity = data.get("identity", "email")
    if identity not in IDENTITIES:
        problems.append(f"key 'identity': {_shown(identity)} is not one of {', '.join(IDENTITIES)}")
    kind = data.get("kind", "issue")
    if kind not in ("issue", "ticket"):
        problems.append(f"key 'kind': {_shown(kind)} is not issue or ticket")
    columns = _table(data, "columns", problems)
    formats = _table(data, "formats", problems)
    values = _table(data, "values", problems)
    if spec is not None:
        allowed = (*spec.required, *spec.optional)
        for key in columns:
            if key not in allowed:
                problems.append(
                    f"key 'columns.{key}': unknown field (fields: {', '.join(allowed)})"
                )
        for key in spec.required:
            if key not in columns:
                problems.append(f"key 'columns.{key}': required field is not mapped to a column")
        for key, pattern in formats.items():
            if key not in DATETIME_FIELDS | DATE_FIELDS or key not in allowed:
                problems.append(f"key 'formats.{key}': not a date field of this target")
            elif not _valid_format(pattern):
                problems.append(
                    f"key 'formats.{key}': '{clip(pattern)}' is not a usable strftime pattern "
                    '(e.g. "%d.%m.%Y %H:%M")'
                )
        if values and target != "work_items":
            problems.append("key 'values': status values only apply to target work_items")
    for key, category in values.items():
        if category not in CATEGORIES:
            problems.append(
                f"key 'values.{key}': '{clip(category)}' is not one of todo, in_progress, done"
            )
    if problems:
        raise InputError([InputProblem(message, name) for message in problems])
    return Mapping(
        path=path,
        target=str(target),
        source=str(source),
        identity=str(identity),
        kind=str(kind),
        columns=columns,
        formats=formats,
        values={k.strip().lower(): v for k, v in values.items()},
    )


def _table(data: dict[str, Any], key: str, problems: list[str]) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        problems.append(f"key '{key}': must be a table ([{key}])")
        return {}
    result: dict[str, str] = {}
    for name, value in table.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"key '{key}.{name}': must be a non-empty string")
        else:
            result[name] = value.strip() if key == "columns" else value
    return result


def _valid_format(pattern: str) -> bool:
    """A strftime pattern with only known directives that reads back what it writes."""
    directives = _DIRECTIVE.findall(pattern)
    if not directives or any(d not in _KNOWN_DIRECTIVES for d in directives):
        return False
    if pattern.rstrip().endswith("%") and not pattern.rstrip().endswith("%%"):
        return False
    sample = dt.datetime(2001, 2, 3, 4, 5, 6)
    try:
        dt.datetime.strptime(sample.strftime(pattern), pattern)
    except ValueError:
        return False
    return True


def _shown(value: object) -> str:
    return "a missing value" if value is None else f"'{clip(str(value))}'"


@dataclass(slots=True)
class MappedRow:
    row: int
    raw: str
    values: dict[str, Any]


class MappedCsvReader:
    """Yields each valid row's mapped fields, parsed; problems go to the collector."""

    def __init__(self, path: Path, mapping: Mapping, problems: ProblemCollector) -> None:
        self.mapping = mapping
        self.problems = problems
        self.csv = ExportCsv(path)
        spec = TARGETS[mapping.target]
        required = [(mapping.columns[f],) for f in spec.required]
        self.csv.require(f"the CSV this mapping ({mapping.path.name}) describes", required)
        missing = [column for column in mapping.columns.values() if self.csv.first(column) is None]
        if missing:
            self.csv.close()
            raise InputError(
                [
                    InputProblem(
                        f"column named in {mapping.path.name} is not in the header",
                        path.name,
                        1,
                        column,
                    )
                    for column in missing
                ]
            )
        self.fields = [
            (name, column, self._position(column), name in spec.required)
            for name, column in mapping.columns.items()
        ]
        dates = [
            position
            for name, _, position, _ in self.fields
            if name in DATETIME_FIELDS | DATE_FIELDS and name not in mapping.formats
        ]
        self.numeric_dates = NumericDates(lambda: self.csv.column_values(dates))

    def _position(self, column: str) -> int:
        found = self.csv.first(column)
        assert found is not None
        return found[0]

    @property
    def rows_read(self) -> int:
        return self.csv.rows_read

    @property
    def bytes_read(self) -> int:
        return self.csv.bytes_read

    def __iter__(self) -> Iterator[MappedRow]:
        problems = self.problems
        line = CsvLine()
        for row, fields in self.csv:
            before = problems.count
            values: dict[str, Any] = {}
            for name, column, position, required in self.fields:
                text = fields[position].strip()
                if not text:
                    if required:
                        problems.add("a value is required", row, column)
                    values[name] = None
                    continue
                values[name] = self._parse(name, text, row, column)
            if problems.count == before:
                yield MappedRow(row, line(fields), values)

    def _parse(self, name: str, text: str, row: int, column: str) -> Any:
        problems = self.problems
        if name in DATETIME_FIELDS or name in DATE_FIELDS:
            pattern = self.mapping.formats.get(name)
            value: dt.datetime | None
            if pattern is not None:
                try:
                    value = dt.datetime.strptime(text, pattern)
                except ValueError:
                    value = None
                expected = pattern
            else:
                value = parse_timestamp(text) or self.numeric_dates.parse(text)
                expected = DATE_FORMATS_HELP
            if value is None:
                numeric = None if pattern is not None else self.numeric_dates.problem(text)
                problems.add(numeric or f"'{clip(text)}' is not a date ({expected})", row, column)
                return None
            return value.date() if name in DATE_FIELDS else value
        if name in INT_FIELDS:
            if not (text.isascii() and text.isdigit()) or len(text) > 9:
                problems.add(f"'{clip(text)}' is not a whole number", row, column)
                return None
            return int(text)
        if name in FLOAT_FIELDS:
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if number != number or abs(number) == float("inf"):
                problems.add(f"'{clip(text)}' is not a number", row, column)
                return None
            return number
        if name == "status_category":
            category = self.mapping.values.get(text.lower(), text.lower())
            if category not in CATEGORIES:
                problems.add(f"'{clip(text)}' is not todo, in_progress or done", row, column)
                return None
            return category
        limit = TEXT_LIMITS.get(name, 200)
        if len(text) > limit:
            problems.add(f"longer than {limit} characters", row, column)
            return None
        return text

    def status_category(self, status: str) -> str | None:
        """The mapping's [values] first, then the common status names."""
        return self.mapping.values.get(status.lower()) or category_of(status)
