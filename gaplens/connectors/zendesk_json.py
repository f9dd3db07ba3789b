"""A page of Zendesk's incremental ticket export read as rows of the Support CSV export's
columns, so `TicketsReader` validates a pulled ticket exactly as it validates the same ticket
from a CSV export, and both give the same `zendesk_ticket` and `work_item` rows.

The page is `GET /api/v2/incremental/tickets/cursor.json?include=metric_sets,users,groups`:
`{"tickets": [...], "metric_sets": [...], "users": [...], "groups": [...], "after_cursor":
..., "end_of_stream": ...}` (Zendesk Support API reference, "Incremental Exports"). A ticket
names its assignee and group by id; the sideloaded users and groups give the name and email
the CSV export shows, and the sideloaded metric set (by `ticket_id`) gives `solved_at`,
`reopens` and `replies`. The API writes enumerations in lower case (`solved`, `high`,
`question`); the CSV export capitalises them (`Solved`, `On-hold`), and so does this reader.

Deleted tickets stay in the export with status `deleted` (the reference's "Excluding deleted
tickets"); they are not rows here but listed in `deleted_ids`, for the importer to remove
what an earlier page stored. Subjects, descriptions, requesters and comments are customer
data: they are never read, and the raw row kept for a ticket holds only the fields read.
A page holds at most 1,000 tickets (`per_page`), so it is decoded whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gaplens.connectors.json_records import JsonStream, check_json_text
from gaplens.errors import InputError, InputProblem

DELETED = "deleted"
COLUMNS = (
    ("Id", "id"),
    ("Status", "status"),
    ("Created at", "created_at"),
    ("Type", "type"),
    ("Priority", "priority"),
    ("Assignee", "assignee_id"),
    ("Assignee email", "assignee_id"),
    ("Group", "group_id"),
    ("Updated at", "updated_at"),
    ("Solved at", "metric_set.solved_at"),
    ("Reopens", "metric_set.reopens"),
    ("Replies", "metric_set.replies"),
)
"""(the Support CSV export's column, the API field it comes from: what problems name)."""
FIELD_OF = dict(COLUMNS)
NEEDS_METRICS = {"Solved at", "Reopens", "Replies"}
NEEDS_USERS = {"Assignee", "Assignee email"}
NEEDS_GROUPS = {"Group"}
STATUS_SHOWN = {
    "new": "New",
    "open": "Open",
    "pending": "Pending",
    "hold": "On-hold",
    "solved": "Solved",
    "closed": "Closed",
}
NOT_A_PAGE = (
    "this does not look like a page of Zendesk's incremental ticket export: expected one "
    'object with a "tickets" list'
)


def is_ticket_page(path: Path) -> bool:
    """Whether a JSON file's top-level object has a "tickets" member before any "records"
    member (a ServiceNow JSONv2 export's); members before it are skipped, not kept."""
    stream = JsonStream(path)
    try:
        if stream.peek() != "{":
            return False
        for key, _ in stream.object_members():
            if key in ("tickets", "records"):
                return key == "tickets"
            stream.value()
    except InputError:
        return False  # the reader it falls to says what is wrong with the file
    finally:
        stream.close()
    return False


def shown(value: str, table: dict[str, str] | None = None) -> str:
    """An API enumeration as the CSV export writes it: `hold` is `On-hold`, `high` is `High`."""
    lower = value.strip().lower()
    if table is not None and lower in table:
        return table[lower]
    return lower[:1].upper() + lower[1:]


class ZendeskTicketPage:
    """Iterates `(row_number, fields)` over the page's tickets (deleted ones left out), the
    fields in `names` order; row N is the N-th ticket of the page."""

    def __init__(self, path: Path, source: str | None = None) -> None:
        check_json_text(path)
        self.path = path
        self.source = source or path.name
        try:
            body = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as error:
            raise InputError.single(f"not valid JSON ({error})", self.source) from None
        if not isinstance(body, dict) or not isinstance(body.get("tickets"), list):
            raise InputError.single(NOT_A_PAGE, self.source)
        self._users = _by_id(body, "users", self.source)
        self._groups = _by_id(body, "groups", self.source)
        self._metrics = _by_id(body, "metric_sets", self.source, key="ticket_id")
        left_out = set()
        if "metric_sets" not in body:
            left_out |= NEEDS_METRICS
        if "users" not in body:
            left_out |= NEEDS_USERS
        if "groups" not in body:
            left_out |= NEEDS_GROUPS
        self._columns = [(name, field) for name, field in COLUMNS if name not in left_out]
        self.names = tuple(field for _, field in self._columns)
        self.deleted_ids: list[int] = []
        self.unknown_assignees = 0
        self._rows = list(self._read(body["tickets"]))
        self.rows_read = 0

    def _read(self, tickets: list[Any]) -> Iterator[tuple[int, list[str]]]:
        for number, ticket in enumerate(tickets, start=1):
            if not isinstance(ticket, dict):
                raise InputError.single("a ticket is not a JSON object", self.source, number)
            status = ticket.get("status")
            if isinstance(status, str) and status.strip().lower() == DELETED:
                ticket_id = ticket.get("id")
                if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
                    raise InputError.single("not a ticket id", self.source, number, "id")
                self.deleted_ids.append(ticket_id)
                continue
            yield number, [self._value(ticket, name, number) for name, _ in self._columns]

    def _value(self, ticket: dict[str, Any], name: str, number: int) -> str:
        field = FIELD_OF[name]
        if name in NEEDS_METRICS:
            metric = self._metrics.get(_text(ticket.get("id")), {})
            value = metric.get(field.removeprefix("metric_set."))
        elif name in NEEDS_USERS:
            assignee = ticket.get("assignee_id")
            if assignee is None:
                return ""
            user = self._users.get(_text(assignee))
            if user is None:
                if name == "Assignee":
                    self.unknown_assignees += 1
                return ""
            value = user.get("name" if name == "Assignee" else "email")
        elif name == "Group":
            group = self._groups.get(_text(ticket.get("group_id")), {})
            value = group.get("name")
        else:
            value = ticket.get(field)
        if value is None:
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            kind = "list" if isinstance(value, list) else type(value).__name__
            raise InputError.single(
                f"expected a text or number value, found a JSON {kind}", self.source, number, field
            )
        text = str(value)
        if name == "Status":
            return shown(text, STATUS_SHOWN)
        if name in ("Type", "Priority"):
            return shown(text)
        return text

    def first(self, *names: str) -> tuple[int, str] | None:
        """Position and API field of the first of the CSV export's column `names` read."""
        columns = [name.lower() for name, _ in self._columns]
        for name in names:
            if name.lower() in columns:
                position = columns.index(name.lower())
                return position, self.names[position]
        return None

    def require(self, kind: str, columns: Sequence[Sequence[str]]) -> list[tuple[int, str]]:
        found = [self.first(*spellings) for spellings in columns]
        missing = [
            InputProblem("required field is missing", self.source, None, names[0])
            for item, names in zip(found, columns, strict=True)
            if item is None
        ]
        if missing:
            raise InputError(missing)
        return [item for item in found if item is not None]

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for number, fields in self._rows:
            self.rows_read += 1
            yield number, list(fields)

    def column_values(self, positions: Sequence[int]) -> Iterator[str]:
        for _, fields in self._rows:
            for position in positions:
                yield fields[position]

    def raw_line(self, fields: list[str]) -> str:
        """The raw row kept for a ticket: the fields read, as one JSON line."""
        names = [name for name, _ in self._columns]
        return json.dumps(dict(zip(names, fields, strict=True)), ensure_ascii=False)

    @property
    def bytes_read(self) -> int:
        return self.path.stat().st_size

    def close(self) -> None:
        """Nothing is held open: the page was decoded whole."""


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _by_id(
    body: dict[str, Any], member: str, source: str, key: str = "id"
) -> dict[str, dict[str, Any]]:
    """A sideloaded list (`users`, `groups`, `metric_sets`) by its id (or `ticket_id`)."""
    items = body.get(member) or []
    if not isinstance(items, list):
        raise InputError.single("not a list", source, None, member)
    found: dict[str, dict[str, Any]] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get(key) is None:
            raise InputError.single(
                f"item {number} is not an object with '{key}'", source, None, member
            )
        found[str(item[key])] = item
    return found
