"""Streaming reader for tools' own CSV exports, where column names repeat and extras abound.

`CsvReader` insists on one column per name and no unknown columns, which suits gaplens's own
formats. Tool exports differ: Jira repeats `Sprint`, `Labels` or `Watchers` once per value and
carries hundreds of columns gaplens ignores. This reader keeps every position of every name
(case-insensitive, trimmed), while keeping the same located errors and record numbering.

Exports are also read as the tools and spreadsheets write them: UTF-8 (with or without a
byte-order mark) or, failing that, Windows-1252 (ServiceNow's default, and Excel's "CSV" on
Western Windows); separated by commas, or by semicolons or tabs (Excel in locales whose decimal
mark is a comma), detected from the header line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from gaplens.connectors.csv_file import check_not_binary, checked_rows
from gaplens.errors import InputError, InputProblem

SNIFF_CHARS = 64 * 1024
Record = tuple[int, list[str], str]
"""A data row: its number, its fields and its source text (see `ExportCsv.records`)."""

csv.field_size_limit(16 * 1024 * 1024)

UTF8 = "utf-8-sig"
WINDOWS_1252 = "cp1252"
DELIMITERS = (",", ";", "\t")
_BLOCK = 1 << 20


def export_encoding(path: Path) -> str:
    """UTF-8 when the whole file decodes as UTF-8, else Windows-1252 when it decodes as that.

    The whole file is checked, not a sample: an export whose first thousand rows are ASCII
    can carry its first "é" at row 50,000 (one pass at memory speed, about 1 s per GB).
    Anything else is refused with the offset of the first byte neither encoding reads."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    bad: int | None = None
    utf8_before = False
    """Valid multi-byte UTF-8 came before the bad byte: a damaged UTF-8 file, not Windows-1252
    (whose text practically never forms valid UTF-8 sequences)."""
    with path.open("rb") as handle:
        head = handle.read(3)
        handle.seek(0)
        for block in iter(lambda: handle.read(_BLOCK), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as error:
                bad = offset + error.start
                utf8_before = utf8_before or not block[: error.start].isascii()
                break
            # The decoded text, not the block: a lead byte at the block's end is not yet UTF-8.
            utf8_before = utf8_before or not text.isascii()
            offset += len(block)
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = offset - 1
        if bad is None:
            return UTF8
        if head == codecs.BOM_UTF8 or utf8_before:
            raise InputError.single(
                f"not UTF-8 text (invalid byte at offset {bad}, after UTF-8 text before it)",
                path.name,
            )
        handle.seek(0)
        offset = 0
        for block in iter(lambda: handle.read(_BLOCK), b""):
            try:
                block.decode(WINDOWS_1252)
            except UnicodeDecodeError as error:
                raise InputError.single(
                    f"neither UTF-8 nor Windows-1252 text (invalid UTF-8 at offset {bad}, "
                    f"byte 0x{block[error.start]:02X} at offset {offset + error.start} is not "
                    "Windows-1252); save the export as UTF-8",
                    path.name,
                ) from None
            offset += len(block)
    return WINDOWS_1252


def header_delimiter(first_line: str) -> str:
    """The candidate delimiter found most often outside quotes in the header (a comma on a
    tie): `"Id";"Name, full"` is separated by semicolons."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > counts[","] else ","


class ExportCsv:
    """Iterates `(row_number, fields)`; row 1 is the header, a multi-line record is one row."""

    def __init__(self, path: Path, keep_text: bool = False) -> None:
        """`keep_text`: remember each record's source lines, for `records`."""
        check_not_binary(path, utf8=False)
        self.path = path
        self.source = path.name
        self.encoding = export_encoding(path)
        with path.open(encoding=self.encoding, newline="") as handle:
            self.delimiter = header_delimiter(handle.readline(SNIFF_CHARS))
        self._binary = path.open("rb")
        self._handle = io.TextIOWrapper(self._binary, encoding=self.encoding, newline="")
        self._lines: list[str] = []
        self._ended = False
        """The file has no more lines: a record completed now ended with the file."""
        self._reader = csv.reader(
            self._captured() if keep_text else self._handle, delimiter=self.delimiter
        )
        self._keep_text = keep_text
        try:
            raw = next(self._reader)
        except StopIteration:
            self.close()
            raise InputError.single("the file is empty", self.source) from None
        except (csv.Error, UnicodeDecodeError) as error:
            self.close()
            raise InputError.single(f"unreadable header: {error}", self.source, 1) from None
        self.names = tuple(name.strip() for name in raw)
        self.positions: dict[str, list[int]] = {}
        for position, name in enumerate(self.names):
            self.positions.setdefault(name.lower(), []).append(position)
        self._lines.clear()
        self.rows_read = 0

    def _captured(self) -> Iterator[str]:
        """The file's lines, each also noted in `_lines`: the csv reader pulls lines only
        until its record is complete, so after each record `_lines` holds exactly its lines."""
        append = self._lines.append
        for line in self._handle:
            append(line)
            yield line
        self._ended = True

    def column_values(self, positions: Sequence[int]) -> Iterator[str]:
        """The values at `positions` of every data row, read afresh from the file (for a rule
        that needs the whole file, such as the day/month order of numeric dates); rows
        that are not the header's width are skipped: the main pass reports them."""
        width = len(self.names)
        with self.path.open(encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                next(reader, None)
                for fields in reader:
                    if len(fields) == width:
                        for position in positions:
                            yield fields[position]
            except csv.Error:
                return

    def first(self, *names: str) -> tuple[int, str] | None:
        """Position and header spelling of the first of `names` present (case-insensitive)."""
        for name in names:
            positions = self.positions.get(name.lower())
            if positions:
                return positions[0], self.names[positions[0]]
        return None

    def all(self, name: str) -> list[int]:
        return self.positions.get(name.lower(), [])

    def require(self, kind: str, columns: Sequence[Sequence[str]]) -> list[tuple[int, str]]:
        """The position of each required column (given with its accepted spellings).

        When none is present the file is probably of another kind, and that is what the
        error says, rather than listing every column as missing.
        """
        found = [self.first(*spellings) for spellings in columns]
        if all(item is None for item in found):
            wanted = ", ".join(spellings[0] for spellings in columns)
            self.close()
            raise InputError.single(
                f"this does not look like {kind}: none of the columns {wanted} is in the header",
                self.source,
                1,
            )
        problems = InputError()
        for item, spellings in zip(found, columns, strict=True):
            if item is None:
                problems.problems.append(
                    InputProblem("required column is missing", self.source, 1, spellings[0])
                )
        if problems.problems:
            self.close()
            raise problems
        return [item for item in found if item is not None]

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for row in checked_rows(self._reader, len(self.names), self.source, self.close):
            self.rows_read += 1
            yield row

    def records(self) -> Iterator[Record]:
        """`(row_number, fields, text)` for each data row, `text` being the record exactly as
        the file has it (its lines joined, the final line ending removed): the raw row kept
        for it, with no cost of writing the fields out again. Same checks and errors as
        iterating (`checked_rows`); needs `keep_text`."""
        if not self._keep_text:
            raise ValueError("records() needs ExportCsv(path, keep_text=True)")
        width = len(self.names)
        source = self.source
        lines = self._lines
        row_number = 1
        try:
            for fields in self._reader:
                row_number += 1
                if len(fields) != width or width == 1:
                    if not fields or (len(fields) == 1 and not fields[0].strip()):
                        lines.clear()
                        continue  # a blank line, as `checked_rows` skips it
                    if len(fields) != width:
                        raise InputError.single(
                            f"expected {width} fields, found {len(fields)}", source, row_number
                        )
                text = lines[0] if len(lines) == 1 else "".join(lines)
                lines.clear()
                # A record ends at a line ending outside quotes, or with the file (when what
                # ends it may be inside an unclosed quote, and data).
                if not self._ended and text[-1:] in ("\n", "\r"):
                    text = text[:-2] if text[-2:] == "\r\n" else text[:-1]
                self.rows_read += 1
                yield row_number, fields, text
        except csv.Error as error:
            raise InputError.single(f"malformed CSV: {error}", source, row_number + 1) from None
        except UnicodeDecodeError:
            raise InputError.single("not UTF-8 text", source, row_number + 1) from None
        finally:
            self.close()
        if self.rows_read == 0:
            raise InputError.single("the file has a header but no data rows", source)

    @property
    def bytes_read(self) -> int:
        if self._handle.closed:
            return self.path.stat().st_size
        return int(self._binary.tell())

    def close(self) -> None:
        self._handle.close()
