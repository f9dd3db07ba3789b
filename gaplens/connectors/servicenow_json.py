"""A ServiceNow JSONv2 export (`incident.do?JSONv2`, or `incident_list.do?JSONv2&...`) read as
rows of named columns, so `TicketsReader` validates it exactly as it does the CSV export.

The file is one object, `{"records": [{"number": "INC0010001", "state": "7", ...}, ...]}`,
every value a string. Reference fields hold the record's sys_id; with `displayvalue=all` each
also comes as `dv_<field>` with its display value. Only the fields gaplens reads become
columns, so the raw row kept for each record holds nothing else (callers, descriptions and
comments are customer data). Records are streamed: one at a time in memory. In problems,
"row N" is the N-th record of the file.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from gaplens.connectors.json_records import JsonRecord, JsonStream, check_json_text
from gaplens.errors import InputError, InputProblem

FIELDS = (
    "number",
    "state",
    "incident_state",
    "opened_at",
    "priority",
    "category",
    "assigned_to",
    "dv_assigned_to",
    "assignment_group",
    "dv_assignment_group",
    "resolved_at",
    "closed_at",
    "reopen_count",
)
"""What `tickets_csv.TicketsReader` reads of a ServiceNow incident, by field name."""
NOT_JSONV2 = (
    "this does not look like a ServiceNow JSONv2 export: expected one object with a "
    '"records" list of incidents'
)


def looks_like_json(path: Path) -> bool:
    """The first meaningful character is `{` (a CSV never starts so); False for a missing
    file, for the CSV reader to say so."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


class ServiceNowJson:
    """Iterates `(row_number, fields)` over the records, fields in `names` order."""

    def __init__(self, path: Path) -> None:
        check_json_text(path)
        self.path = path
        self.source = path.name
        self._stream = JsonStream(path)
        self.rows_read = 0
        self._records = self._open()
        try:
            first = next(self._records, None)
        except InputError:
            self.close()
            raise
        if first is None:
            self.close()
            raise InputError.single("the export has no records", self.source)
        present = self._fields_of(first, 1)
        self.names = tuple(name for name in FIELDS if name in present)
        self._pending: Iterator[JsonRecord] = itertools.chain([first], self._records)

    def _open(self) -> Iterator[JsonRecord]:
        stream = self._stream
        if stream.peek() != "{":
            raise InputError.single(NOT_JSONV2, self.source, stream.line)
        found = False
        for key, line in stream.object_members():
            if key == "records" and not found:
                found = True
                if stream.peek() != "[":
                    raise InputError.single('"records" is not a list', self.source, line)
                yield from stream.array_items()
            else:
                stream.value()  # "error", "__status", ...: not records
        if not found:
            raise InputError.single(NOT_JSONV2, self.source, 1)
        stream.finish()

    def _fields_of(self, record: JsonRecord, number: int) -> dict[str, object]:
        if not isinstance(record.value, dict):
            self.close()
            raise InputError.single("a record is not a JSON object", self.source, number)
        return record.value

    def first(self, *names: str) -> tuple[int, str] | None:
        for name in names:
            if name.lower() in self.names:
                position = self.names.index(name.lower())
                return position, self.names[position]
        return None

    def require(self, kind: str, columns: Sequence[Sequence[str]]) -> list[tuple[int, str]]:
        found = [self.first(*spellings) for spellings in columns]
        missing = [
            InputProblem("required field is missing from the records", self.source, 1, names[0])
            for item, names in zip(found, columns, strict=True)
            if item is None
        ]
        if missing:
            self.close()
            raise InputError(missing)
        return [item for item in found if item is not None]

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        names = self.names
        try:
            for number, record in enumerate(self._pending, start=1):
                fields = self._fields_of(record, number)
                row: list[str] = []
                for name in names:
                    value = fields.get(name)
                    if value is not None and not isinstance(value, str | int | float):
                        raise InputError.single(
                            "expected a text value, found a JSON "
                            f"{'list' if isinstance(value, list) else 'object'}",
                            self.source,
                            number,
                            name,
                        )
                    row.append("" if value is None else str(value))
                self.rows_read = number
                yield number, row
        finally:
            self.close()

    def column_values(self, positions: Sequence[int]) -> Iterator[str]:
        """The values at `positions` of every record, read afresh from the file."""
        names = [self.names[position] for position in positions]
        stream = ServiceNowJson(self.path)
        for _, fields in stream:
            for name in names:
                yield fields[stream.names.index(name)]

    def raw_line(self, fields: list[str]) -> str:
        """The raw row kept for a record: its read fields as one JSON line."""
        return json.dumps(dict(zip(self.names, fields, strict=True)), ensure_ascii=False)

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read or self.path.stat().st_size

    def close(self) -> None:
        self._stream.close()
