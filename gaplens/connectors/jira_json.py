"""Reads Jira REST search results (`/rest/api/*/search?expand=changelog,names`) as a stream.

The file is one JSON object with an `issues` list; it can be far larger than memory, so it is
read with `json.JSONDecoder.raw_decode` over a sliding buffer, one issue at a time. Issues are
numbered 1, 2, ... in file order: that number is the "row" errors and raw rows refer to.

The story-points and sprint custom fields differ per site: their ids come from the `names`
expansion when the file has it (`names` usually follows `issues`, so a first quick pass reads
the top-level keys), otherwise the common ids are tried.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gaplens.connectors.csv_file import check_not_binary
from gaplens.connectors.work_records import (
    DATE_FORMATS_HELP,
    STATUS_CATEGORY_KEYS,
    Transition,
    WorkRecord,
    category_of,
    clip,
    derive_history,
    parse_timestamp,
)
from gaplens.errors import InputError, ProblemCollector
from gaplens.work.schemas import DONE

READ_CHARS = 1 << 20
STORY_POINT_NAMES = ("story points", "story point estimate")
COMMON_STORY_POINT_IDS = (
    "customfield_10016",
    "customfield_10026",
    "customfield_10028",
    "customfield_10002",
    "customfield_10004",
)
COMMON_SPRINT_IDS = ("customfield_10020", "customfield_10010", "customfield_10007")


class JsonStream:
    """Pulls JSON values one at a time from a text stream, keeping only a small buffer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = path.name
        self._binary = path.open("rb")
        self._handle = io.TextIOWrapper(self._binary, encoding="utf-8-sig")
        self._decoder = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.position_hint = 0
        """The issue number being read, for error messages."""

    @property
    def bytes_read(self) -> int:
        return self.path.stat().st_size if self._handle.closed else int(self._binary.tell())

    def close(self) -> None:
        self._handle.close()

    def _fill(self) -> bool:
        if self._eof:
            return False
        try:
            more = self._handle.read(READ_CHARS)
        except UnicodeDecodeError:
            raise self.error("not UTF-8 text") from None
        if not more:
            self._eof = True
            return False
        if self._pos:
            self._buffer = self._buffer[self._pos :]
            self._pos = 0
        self._buffer += more
        return True

    def error(self, message: str, column: str | None = None) -> InputError:
        row = self.position_hint or None
        return InputError.single(message, self.source, row, column)

    def peek(self) -> str:
        """The next non-space character ('' at the end of the file)."""
        while True:
            buffer = self._buffer
            pos = self._pos
            length = len(buffer)
            while pos < length and buffer[pos] in " \t\r\n":
                pos += 1
            self._pos = pos
            if pos < length:
                return buffer[pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> str:
        char = self.peek()
        if char not in expected or not char:
            shown = f"'{char}'" if char else "the end of the file"
            wanted = " or ".join(f"'{c}'" for c in expected)
            raise self.error(
                f"invalid JSON: expected {wanted}, found {shown}"
                + (" (the file is cut short?)" if not char else "")
            )
        self._pos += 1
        return char

    def value(self) -> Any:
        """The next complete JSON value, reading more of the file until it is whole."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                near_end = error.pos >= len(self._buffer) - 64 or "Unterminated" in error.msg
                if near_end and self._fill():
                    continue
                if not near_end:
                    raise self.error(f"invalid JSON: {error.msg}") from None
                raise self.error("invalid JSON: the file ends early (cut short?)") from None
            except RecursionError:
                raise self.error("invalid JSON: nested too deeply") from None
            if end >= len(self._buffer) and self._fill():
                continue  # a number or literal may go on in the next block
            self._pos = end
            return value


def top_level(stream: JsonStream) -> Iterator[tuple[str, Any]]:
    """Yields (key, value) of the top-level object; for `issues`, the value is a generator."""
    if stream.take("{[") == "[":
        raise stream.error(
            "this does not look like Jira REST search JSON: expected an object with an "
            "'issues' list, found a list"
        )
    if stream.peek() == "}":
        stream.take("}")
        return
    while True:
        key = stream.value()
        if not isinstance(key, str):
            raise stream.error("invalid JSON: an object key must be a string")
        stream.take(":")
        if key == "issues":
            if stream.peek() != "[":
                raise stream.error("'issues' must be a list", "issues")
            yield key, _array(stream)
        else:
            yield key, stream.value()
        if stream.take(",}") == "}":
            return


def _array(stream: JsonStream) -> Iterator[Any]:
    stream.take("[")
    if stream.peek() == "]":
        stream.take("]")
        return
    while True:
        stream.position_hint += 1
        yield stream.value()
        if stream.take(",]") == "]":
            return


def _finish(stream: JsonStream, saw_issues: bool) -> None:
    if not saw_issues:
        raise InputError.single(
            "this does not look like Jira REST search JSON: there is no 'issues' list",
            stream.source,
        )
    stream.position_hint = 0
    if stream.peek():
        raise stream.error(
            "extra data after the JSON object (one search result per file; "
            "import each page separately)"
        )


def read_names(path: Path) -> dict[str, str]:
    """The `names` expansion (field id -> display name), wherever it sits in the file."""
    stream = JsonStream(path)
    names: dict[str, str] = {}
    saw_issues = False
    try:
        for key, value in top_level(stream):
            if key == "issues":
                saw_issues = True
                for _ in value:
                    pass
            elif key == "names" and isinstance(value, dict):
                names = {str(k): str(v) for k, v in value.items()}
        _finish(stream, saw_issues)
    finally:
        stream.close()
    return names


def field_ids(names: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Story-points and sprint field ids: from `names` if it names them, else the common ids."""
    points = tuple(k for k, v in names.items() if v.strip().lower() in STORY_POINT_NAMES)
    sprints = tuple(k for k, v in names.items() if v.strip().lower() == "sprint")
    return points or COMMON_STORY_POINT_IDS, sprints or COMMON_SPRINT_IDS


class JiraJsonReader:
    """Yields one `WorkRecord` per valid issue; problems go to the collector."""

    def __init__(self, path: Path, problems: ProblemCollector, source: str | None = None) -> None:
        check_not_binary(path)
        self.path = path
        self.source = source or path.name
        """What errors and warnings name: the file, or the URL a sync pulled it from."""
        self.problems = problems
        self.points_ids, self.sprint_ids = field_ids(read_names(path))
        self.known: dict[str, str] = {}
        self.rows_read = 0
        self.truncated = 0
        """Issues whose changelog the search response cut short (the first few are named)."""
        self.truncated_keys: list[str] = []
        self._stream = JsonStream(path)
        self._stream.source = self.source

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read

    @property
    def warnings(self) -> list[str]:
        """What the import must say it could not know (read once the file is consumed)."""
        if not self.truncated:
            return []
        shown = ", ".join(self.truncated_keys) + (", ..." if self.truncated > 5 else "")
        return [
            f"{self.source}: {self.truncated} issues have a changelog the search cut "
            f"short (histories 'total' above what the file holds: {shown}); their reopen and "
            "rework counts are stored as unknown. Fetch each issue's full changelog "
            "(/rest/api/3/issue/KEY/changelog, every page) into the issue's 'changelog' and "
            "import again to count them."
        ]

    def __iter__(self) -> Iterator[WorkRecord]:
        stream = self._stream
        saw_issues = False
        try:
            for key, value in top_level(stream):
                if key != "issues":
                    continue
                saw_issues = True
                for issue in value:
                    self.rows_read += 1
                    if isinstance(issue, dict) and changelog_truncated(issue.get("changelog")):
                        self.truncated += 1
                        if len(self.truncated_keys) < 5:
                            self.truncated_keys.append(str(issue.get("key"))[:64])
                    record = issue_record(
                        issue,
                        stream.position_hint,
                        self.points_ids,
                        self.sprint_ids,
                        self.known,
                        self.problems,
                    )
                    if record is not None:
                        yield record
            _finish(stream, saw_issues)
        finally:
            stream.close()
        if self.rows_read == 0:
            raise InputError.single("the search result has no issues", self.source)


def issue_record(
    issue: Any,
    row: int,
    points_ids: tuple[str, ...],
    sprint_ids: tuple[str, ...],
    known: dict[str, str],
    problems: ProblemCollector,
) -> WorkRecord | None:
    """One issue of the search result as a record; None (with problems added) if it is bad.

    `known` learns each status name's category from the issues' own statusCategory, so the
    history of later issues is read with the site's real categories.
    """
    before = problems.count
    if not isinstance(issue, dict):
        problems.add("an issue must be a JSON object", row, "issues")
        return None
    key = issue.get("key")
    if not isinstance(key, str) or not key.strip() or len(key.strip()) > 64:
        problems.add("a string issue key of at most 64 characters is required", row, "key")
        key = ""
    key = key.strip()
    fields = issue.get("fields")
    if not isinstance(fields, dict):
        problems.add("'fields' must be an object", row, "fields")
        return None
    status_obj = _obj(fields.get("status"))
    status = _text(status_obj.get("name"), 64)
    if status is None:
        problems.add("a status name is required", row, "fields.status.name")
    category_key = _obj(status_obj.get("statusCategory")).get("key")
    category = STATUS_CATEGORY_KEYS.get(str(category_key)) if category_key else None
    if status is not None:
        if category is not None:
            known[status.lower()] = category
        else:
            category = category_of(status, known)
    created = _when(fields.get("created"), row, "fields.created", problems, required=True)
    updated = _when(fields.get("updated"), row, "fields.updated", problems)
    resolved = _when(fields.get("resolutiondate"), row, "fields.resolutiondate", problems)
    points = _points(fields, points_ids, row, problems)
    # Only a whole changelog can say how often an issue was reopened: one the search cut
    # short (more histories than it carries) leaves the counts unknown, not 0.
    has_history = isinstance(issue.get("changelog"), dict) and not changelog_truncated(
        issue.get("changelog")
    )
    transitions = _transitions(issue.get("changelog"), row, problems)
    if problems.count != before or status is None or created is None:
        return None
    history = derive_history(transitions, known)
    if resolved is None and category == DONE:
        resolved = history.done_at
    assignee = _obj(fields.get("assignee"))
    refs = tuple(
        ref
        for ref in (
            _text(assignee.get("accountId"), 320),
            _text(assignee.get("name"), 320),
            _text(assignee.get("emailAddress"), 320),
            _text(assignee.get("displayName"), 320),
        )
        if ref
    )
    sprints = _sprints(fields, sprint_ids)
    labels = [str(label) for label in fields.get("labels") or [] if isinstance(label, str)]
    issue_type = _text(_obj(fields.get("issuetype")).get("name"), 64)
    return WorkRecord(
        row=row,
        raw=json.dumps(issue, separators=(",", ":"), ensure_ascii=False),
        key=key,
        tool_row={
            "key": key,
            "issue_id": _text(issue.get("id"), 32),
            "project": _text(_obj(fields.get("project")).get("key"), 100),
            "issue_type": issue_type,
            "summary": _text(fields.get("summary"), 10_000),
            "status": status,
            "status_category": category,
            "assignee": refs[0] if refs else None,
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
        assignee_refs=refs,
        started_at=history.started_at,
        resolved_at=resolved,
        story_points=points,
        sprint=sprints[-1][:200] if sprints else None,
        # Without a whole changelog (search not run with expand=changelog, or a changelog
        # longer than the search returns) the counts are unknown.
        reopen_count=history.reopen_count if has_history else None,
        rework_count=history.rework_count if has_history else None,
        transitions=transitions,
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value else None


def _when(
    value: Any, row: int, column: str, problems: ProblemCollector, required: bool = False
) -> dt.datetime | None:
    if value is None or value == "":
        if required:
            problems.add("a value is required", row, column)
        return None
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        problems.add(f"'{clip(str(value))}' is not a date ({DATE_FORMATS_HELP})", row, column)
    return parsed


def _points(
    fields: dict[str, Any], ids: tuple[str, ...], row: int, problems: ProblemCollector
) -> float | None:
    for field_id in ids:
        value = fields.get(field_id)
        if value is None or value == "":
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
        else:
            number = float("nan")
        if number != number or abs(number) == float("inf"):
            problems.add(f"'{clip(str(value))}' is not a number", row, f"fields.{field_id}")
            return None
        return number
    return None


def _sprints(fields: dict[str, Any], ids: tuple[str, ...]) -> list[str]:
    """Sprint names in order: Cloud gives objects with `name`, Server strings `...name=X,...`."""
    for field_id in ids:
        value = fields.get(field_id)
        if not isinstance(value, list) or not value:
            continue
        names: list[str] = []
        for sprint in value:
            if isinstance(sprint, dict) and isinstance(sprint.get("name"), str):
                names.append(sprint["name"].strip())
            elif isinstance(sprint, str) and "name=" in sprint:
                names.append(sprint.split("name=", 1)[1].split(",", 1)[0].strip())
        if names:
            return [name for name in names if name]
    return []


def changelog_truncated(changelog: Any) -> bool:
    """True when a changelog holds fewer histories than it says exist: the search endpoint
    returns at most `maxResults` of them with their `total` (or a page starting past 0)."""
    if not isinstance(changelog, dict):
        return False
    histories = changelog.get("histories")
    held = len(histories) if isinstance(histories, list) else 0
    total = changelog.get("total")
    start = changelog.get("startAt")
    if type(start) is int and start > 0:
        return True
    return type(total) is int and total > held


def _transitions(changelog: Any, row: int, problems: ProblemCollector) -> list[Transition]:
    """Status changes from the changelog, oldest first (Jira sites differ in the order)."""
    histories = _obj(changelog).get("histories")
    if not isinstance(histories, list):
        return []
    changes: list[Transition] = []
    for number, history in enumerate(histories):
        if not isinstance(history, dict):
            continue
        items = [
            item
            for item in history.get("items") or []
            if isinstance(item, dict) and (item.get("fieldId") or item.get("field")) == "status"
        ]
        if not items:
            continue
        column = f"changelog.histories[{number}].created"
        at = _when(history.get("created"), row, column, problems, required=True)
        if at is None:
            continue
        for item in items:
            to_status = _text(item.get("toString"), 64)
            if to_status is None:
                problems.add(
                    "a status change needs 'toString'",
                    row,
                    f"changelog.histories[{number}].items",
                )
                continue
            changes.append(Transition(at, _text(item.get("fromString"), 64), to_status))
    changes.sort(key=lambda change: change.at)
    return changes
