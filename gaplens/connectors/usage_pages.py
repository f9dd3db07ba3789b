"""Reading an admin API's usage response as saved: `{"data": [...], ...}`, one page per file
(pretty-printed or not), every page as JSON lines (a page object per line), or a bare list of
records. Shared by the Cursor and Claude Code connectors.

Each record comes with the row it is reported at and the raw text kept for it: in a document
spread over lines, the line a record starts on and the record's text; in JSON lines, the
page's line and the whole page (its records share that raw row). Records stream one at a
time from a single document; a JSON-lines page is one line and is decoded at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaplens.connectors.json_records import (
    JsonStream,
    NdjsonLines,
    check_json_text,
    first_line_is_record,
)
from gaplens.errors import InputError, ProblemCollector


@dataclass(frozen=True, slots=True)
class PageItem:
    """One record with where it came from: `row` for problems, `raw` (new raw text for this
    row, or None when an earlier item already kept the row's text) and `path` (its field
    path's prefix, e.g. `data[3]`)."""

    row: int
    raw: str | None
    path: str
    value: Any


@dataclass
class UsagePages:
    """Iterates the records of a saved usage response; `pages` and the last page's other
    members (`last_page`, e.g. `has_more`, `next_page`, `period`) are known once read."""

    path: Path
    what: str
    """What the records are, for messages: "a Cursor daily usage response"."""
    pages: int = 0
    last_page: dict[str, Any] = field(default_factory=dict)
    bytes_read: int = 0

    def __iter__(self) -> Iterator[PageItem]:
        source = self.path.name
        first = check_json_text(self.path)
        if first == "{" and first_line_is_record(self.path):
            yield from self._json_lines()
        elif first in "{[":
            yield from self._document()
        else:
            raise InputError.single(f"expected {self.what} (a JSON object or list)", source)

    def _json_lines(self) -> Iterator[PageItem]:
        lines = NdjsonLines(self.path)
        for record in lines:
            self.bytes_read = lines.bytes_read
            page = record.value
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise InputError.single(
                    f"expected {self.what}: an object with a 'data' list",
                    self.path.name,
                    record.line,
                    "data",
                )
            self.pages += 1
            self.last_page = {k: v for k, v in page.items() if k != "data"}
            raw: str | None = record.text
            for index, value in enumerate(page["data"]):
                yield PageItem(record.line, raw, f"data[{index}]", value)
                raw = None

    def _document(self) -> Iterator[PageItem]:
        stream = JsonStream(self.path)
        try:
            if stream.peek() == "[":
                self.pages = 1
                yield from self._items(stream, "")
            else:
                found = False
                for key, line in stream.object_members():
                    if key == "data":
                        found = True
                        if stream.peek() != "[":
                            raise InputError.single(
                                "expected a list of records", self.path.name, line, "data"
                            )
                        yield from self._items(stream, "data")
                    else:
                        self.last_page[key] = stream.value().value
                if not found:
                    raise InputError.single(
                        f"expected {self.what}: an object with a 'data' list",
                        self.path.name,
                        1,
                        "data",
                    )
                self.pages = 1
            stream.finish()
            self.bytes_read = stream.bytes_read
        finally:
            stream.close()

    def _items(self, stream: JsonStream, prefix: str) -> Iterator[PageItem]:
        for index, record in enumerate(stream.array_items()):
            self.bytes_read = stream.bytes_read
            yield PageItem(record.line, record.text, f"{prefix}[{index}]", record.value)


def whole_number(value: Any) -> int | None:
    """A count: a whole number of at least 0 (a JSON number like 3.0 too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return None


def count_field(value: Any, row: int, at: str, problems: ProblemCollector) -> int | None:
    """An optional count: None when absent; a whole number of at least 0, else a problem."""
    if value is None:
        return None
    number = whole_number(value)
    if number is None:
        problems.add(f"{value!r} is not a whole number of at least 0", row, at)
    return number


def text_field(value: Any, row: int, at: str, problems: ProblemCollector, limit: int) -> str | None:
    """Optional text, trimmed and cut to `limit`; anything but a string is a problem."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(f"{value!r} is not text", row, at)
        return None
    return value.strip()[:limit] or None
