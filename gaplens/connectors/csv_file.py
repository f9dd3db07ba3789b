"""Streaming CSV reading that turns every malformed input into a located InputProblem.

Real exports arrive with byte-order marks, stray binary, ragged rows and renamed columns; the
importers rely on this reader to reject all of that with file, row and column named, while
reading one row at a time so memory stays flat however large the file is.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gaplens.errors import InputError, InputProblem

csv.field_size_limit(16 * 1024 * 1024)

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvHeader:
    """Normalised column names and where each declared column sits in a row."""

    names: tuple[str, ...]
    index: dict[str, int]

    def position(self, column: str) -> int | None:
        return self.index.get(column)


def normalise_column(name: str) -> str:
    return name.strip().lower()


def check_not_binary(path: Path, utf8: bool = True) -> None:
    """Refuse empty and binary files before the CSV parser produces confusing errors.

    `utf8=False` leaves the encoding to the caller (tool exports: `export_csv.export_encoding`).
    """
    source = path.name
    if not path.exists():
        raise InputError.single("file not found", source)
    if not path.is_file():
        raise InputError.single("not a regular file", source)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise InputError.single("the file is empty", source)
    if b"\x00" in head:
        raise InputError.single("this is a binary file, not a UTF-8 CSV", source)
    if not utf8:
        return
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as error:
        raise InputError.single(
            f"not UTF-8 text (invalid byte at offset {error.start})", source
        ) from None


def checked_rows(
    records: Iterator[list[str]], width: int, source: str, close: Callable[[], None]
) -> Iterator[tuple[int, list[str]]]:
    """Data rows as `(row_number, fields)` after a header of `width` columns: blank lines
    skipped, ragged rows, CSV syntax and UTF-8 errors located, a header-only file refused.
    `close` runs however the iteration ends."""
    row_number = 1
    found = 0
    try:
        for fields in records:
            row_number += 1
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            if len(fields) != width:
                raise InputError.single(
                    f"expected {width} fields, found {len(fields)}", source, row_number
                )
            found += 1
            yield row_number, fields
    except csv.Error as error:
        raise InputError.single(f"malformed CSV: {error}", source, row_number + 1) from None
    except UnicodeDecodeError:
        raise InputError.single("not UTF-8 text", source, row_number + 1) from None
    finally:
        close()
    if found == 0:
        raise InputError.single("the file has a header but no data rows", source)


class CsvReader:
    """Iterates `(row_number, fields)`: row 1 is the header and each record is one row, as a
    spreadsheet numbers them (a quoted field spanning lines stays one row)."""

    def __init__(
        self,
        path: Path,
        required: Sequence[str],
        optional: Sequence[str] = (),
        allow_extra: bool = False,
    ) -> None:
        check_not_binary(path)
        self.path = path
        self.source = path.name
        self._binary = path.open("rb")
        self._handle = io.TextIOWrapper(self._binary, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._handle)
        self.header = self._read_header(required, optional, allow_extra)
        self.rows_read = 0

    def _read_header(
        self, required: Sequence[str], optional: Sequence[str], allow_extra: bool
    ) -> CsvHeader:
        try:
            raw = next(self._reader)
        except StopIteration:
            raise InputError.single("the file is empty", self.source) from None
        except csv.Error as error:
            raise InputError.single(f"unreadable header: {error}", self.source, 1) from None
        except UnicodeDecodeError:
            # The sniff decodes its 64 KiB incrementally: a short file cut inside a multi-byte
            # character only fails here, when the reader hits the end.
            self._handle.close()
            raise InputError.single("not UTF-8 text", self.source, 1) from None
        names = tuple(normalise_column(name) for name in raw)
        index: dict[str, int] = {}
        problems = InputError()
        for position, name in enumerate(names):
            if not name:
                problems.problems.append(
                    _problem(self.source, f"column {position + 1} has no name", 1)
                )
            elif name in index:
                problems.problems.append(
                    _problem(self.source, "this column name appears twice", 1, name)
                )
            else:
                index[name] = position
        known = set(required) | set(optional)
        unknown = [name for name in index if name not in known]
        missing = [name for name in required if name not in index]
        expected = ", ".join([*required, *(c for c in optional if c not in required)])
        if missing and len(missing) == len(required):
            problems.problems.append(
                _problem(
                    self.source,
                    f"this does not look like the expected file: none of the required columns "
                    f"({', '.join(required)}) is in the header",
                    1,
                )
            )
        else:
            for name in missing:
                problems.problems.append(
                    _problem(self.source, "required column is missing", 1, name)
                )
        if unknown and not allow_extra:
            shown = ", ".join(f"'{name}'" for name in unknown[:5])
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            problems.problems.append(
                _problem(
                    self.source,
                    f"unknown column(s) {shown}{more} (expected: {expected})",
                    1,
                    unknown[0],
                )
            )
        if problems.problems:
            raise problems
        return CsvHeader(names, index)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for row in checked_rows(self._reader, len(self.header.names), self.source, self.close):
            self.rows_read += 1
            yield row

    @property
    def bytes_read(self) -> int:
        """How far into the file the parser is, for progress bars (read-ahead included)."""
        if self._handle.closed:
            return self.path.stat().st_size
        return int(self._binary.tell())

    def get(self, fields: list[str], column: str) -> str:
        """The raw value of `column` in a row, or '' when the optional column is absent."""
        position = self.header.index.get(column)
        return fields[position] if position is not None else ""

    def close(self) -> None:
        self._handle.close()


def _problem(source: str, message: str, row: int, column: str | None = None) -> InputProblem:
    return InputProblem(message, source, row, column)
