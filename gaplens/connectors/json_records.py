"""Streaming JSON reading: NDJSON lines, or the elements of a top-level array or of one array
inside a top-level object, one record at a time, with the line each record starts on.

Tool exports of AI usage run to millions of records, so nothing here holds more than one
record (and a read-ahead of about a megabyte) in memory; every failure becomes a located
`InputError` instead of a `json` traceback.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gaplens.errors import InputError

READ_BYTES = 1 << 20
MAX_RECORD_CHARS = 64 * 1024 * 1024
"""A single record larger than this is not a usage export (and would not fit in memory)."""
SNIFF_BYTES = 64 * 1024
ASCII_WHITESPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
"""The ASCII characters `str.strip()` removes (bytes.strip() alone keeps \x1c-\x1f)."""

_WHITESPACE = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One record: the line it starts on, its decoded value and its source text."""

    line: int
    value: Any
    text: str


def check_json_text(path: Path) -> str:
    """The first meaningful character of a text file; refuses missing, empty and binary files.

    Only the first 64 KB are read, so a huge or sparse file is refused at once.
    """
    source = path.name
    if not path.exists():
        raise InputError.single("file not found", source)
    if not path.is_file():
        raise InputError.single("not a regular file", source)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    if not stripped:
        raise InputError.single("the file is empty", source)
    if b"\x00" in head:
        raise InputError.single(
            "this is a binary file (or a file of zero bytes), not JSON or CSV text", source
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise InputError.single(
            f"not UTF-8 text (invalid byte at offset {error.start})", source
        ) from None
    return chr(stripped[0]) if stripped[0] < 128 else "?"


def first_line_is_record(path: Path) -> bool:
    """NDJSON if the first non-blank line is one whole JSON object on its own."""
    with path.open("rb") as handle:
        for raw in iter(lambda: handle.readline(MAX_RECORD_CHARS), b""):
            line = raw.decode("utf-8-sig", errors="replace").strip()
            if not line:
                continue
            if not raw.endswith(b"\n") and len(raw) >= MAX_RECORD_CHARS:
                return False
            try:
                return isinstance(json.loads(line), dict)
            except ValueError:
                return False
    return False


class NdjsonLines:
    """Iterates the non-blank lines of an NDJSON file as `JsonRecord`s."""

    def __init__(self, path: Path) -> None:
        self.source = path.name
        self._handle: IO[bytes] = path.open("rb")

    @property
    def bytes_read(self) -> int:
        return 0 if self._handle.closed else self._handle.tell()

    def __iter__(self) -> Iterator[JsonRecord]:
        for line_number, text in self.texts():
            value = self.decode(line_number, text)
            yield JsonRecord(line_number, value, text if isinstance(text, str) else text.decode())

    def texts(self) -> Iterator[tuple[int, str | bytes]]:
        """`(line number, stripped text)` of each non-blank line, not yet decoded.

        An ASCII line (nearly all of a usage export) stays bytes: it is valid UTF-8 as it
        is, and decoding millions of kilobyte lines only to encode them again is wasted."""
        readline = self._handle.readline
        line_number = 0
        try:
            while True:
                raw = readline(MAX_RECORD_CHARS)
                if not raw:
                    break
                line_number += 1
                if len(raw) >= MAX_RECORD_CHARS and not raw.endswith(b"\n"):
                    raise InputError.single(
                        "a line longer than 64 MB: this is not an NDJSON usage export",
                        self.source,
                        line_number,
                    )
                text: str | bytes
                if raw.isascii():
                    text = raw.strip(ASCII_WHITESPACE)
                else:
                    try:
                        text = raw.decode("utf-8-sig" if line_number == 1 else "utf-8").strip()
                    except UnicodeDecodeError:
                        raise InputError.single(
                            "not UTF-8 text", self.source, line_number
                        ) from None
                if text:
                    yield line_number, text
        finally:
            self._handle.close()

    def decode(self, line_number: int, text: str | bytes) -> Any:
        """One line's JSON value; a located `InputError` when it is not JSON."""
        if type(text) is bytes:
            text = text.decode("ascii")
        assert isinstance(text, str)
        try:
            return _DECODER.decode(text)
        except json.JSONDecodeError as error:
            raise InputError.single(
                _describe_decode_error(error, text), self.source, line_number
            ) from None


class JsonStream:
    """A character buffer over a UTF-8 JSON file that decodes one value at a time.

    `json.JSONDecoder.raw_decode` does the parsing (C speed); this class only keeps enough
    text in the buffer for the next value and counts lines as it consumes text.
    """

    def __init__(self, path: Path) -> None:
        self.source = path.name
        self._handle: IO[bytes] = path.open("rb")
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.line = 1

    @property
    def bytes_read(self) -> int:
        return 0 if self._handle.closed else self._handle.tell()

    def close(self) -> None:
        self._handle.close()

    def _fill(self) -> bool:
        """Read more text; False at the end of the file."""
        if self._eof:
            return False
        chunk = self._handle.read(READ_BYTES)
        try:
            text = self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise InputError.single("not UTF-8 text", self.source, self.line) from None
        if not chunk:
            self._eof = True
        if self._pos:
            self._buf = self._buf[self._pos :]
            self._pos = 0
        self._buf += text
        return True

    def _advance(self, to: int) -> None:
        self.line += self._buf.count("\n", self._pos, to)
        self._pos = to

    def peek(self) -> str:
        """The next non-whitespace character, or '' at the end of the file."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            end = match.end() if match else self._pos
            self._advance(end)
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        found = self.peek()
        if found != char:
            shown = f"'{found}'" if found else "the end of the file"
            message = f"expected {what}, found {shown}"
            if not found:
                message += " (is the file truncated?)"
            raise InputError.single(message, self.source, self.line)
        self._advance(self._pos + 1)

    def value(self) -> JsonRecord:
        """Decode the next value, reading more of the file until it is complete."""
        self.peek()
        while True:
            start = self._pos
            try:
                value, end = _DECODER.raw_decode(self._buf, start)
            except json.JSONDecodeError as error:
                if self._grow(start):
                    continue
                line = self.line + self._buf.count("\n", start, error.pos)
                raise InputError.single(
                    _describe_decode_error(error, self._buf), self.source, line
                ) from None
            if end >= len(self._buf) and self._grow(start):
                continue  # a number or literal at the buffer's end may go on
            line = self.line
            text = self._buf[start:end]
            self._advance(end)
            return JsonRecord(line, value, text)

    def _grow(self, start: int) -> bool:
        if len(self._buf) - start > MAX_RECORD_CHARS:
            raise InputError.single(
                "a single record larger than 64 MB: this is not a usage export",
                self.source,
                self.line,
            )
        if self._eof:
            return False
        self._fill()
        return True

    def array_items(self) -> Iterator[JsonRecord]:
        """The elements of the array starting here, one at a time."""
        self.expect("[", "'[' (a JSON list)")
        if self.peek() == "]":
            self._advance(self._pos + 1)
            return
        while True:
            yield self.value()
            following = self.peek()
            if following == ",":
                self._advance(self._pos + 1)
                continue
            if following == "]":
                self._advance(self._pos + 1)
                return
            self.expect(",", "',' or ']' between list items")

    def object_members(self) -> Iterator[tuple[str, int]]:
        """The keys of the object starting here; the caller consumes each member's value."""
        self.expect("{", "'{' (a JSON object)")
        if self.peek() == "}":
            self._advance(self._pos + 1)
            return
        while True:
            if self.peek() != '"':
                self.expect('"', "a quoted member name")
            key = self.value()
            self.expect(":", "':' after a member name")
            yield str(key.value), key.line
            following = self.peek()
            if following == ",":
                self._advance(self._pos + 1)
                continue
            if following == "}":
                self._advance(self._pos + 1)
                return
            self.expect(",", "',' or '}' between members")

    def finish(self) -> None:
        """Only whitespace may follow the document."""
        found = self.peek()
        if found:
            raise InputError.single(
                f"unexpected '{found}' after the end of the JSON document", self.source, self.line
            )


def _describe_decode_error(error: json.JSONDecodeError, text: str) -> str:
    if error.pos >= len(text.rstrip()):
        return "the JSON ends early (is the file truncated?)"
    return f"not valid JSON: {error.msg} (column {error.colno})"
