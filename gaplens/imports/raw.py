"""Raw rows, kept with their source: every line an import read, retrievable by row number."""

from __future__ import annotations

import zlib

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gaplens.imports.models import ImportRun, RawChunk

CHUNK_ROWS = 2000


class RawRowWriter:
    """Buffers source lines and writes them as compressed chunks of consecutive rows.

    Call `add` for every row in file order and `close` once at the end; rows are written in
    the caller's transaction, so a failed import leaves no raw rows behind either.
    """

    def __init__(self, session: Session, run: ImportRun, chunk_rows: int = CHUNK_ROWS) -> None:
        self.session = session
        self.run_id = run.id
        self.chunk_rows = chunk_rows
        self._first: int | None = None
        self._last = 0
        self._lines: list[str] = []
        self._pending: list[dict[str, object]] = []

    def add(self, row_number: int, line: str) -> None:
        if self._first is None:
            self._first = row_number
        elif row_number != self._last + 1:
            self._seal()
            self._first = row_number
        self._last = row_number
        self._lines.append(line.replace("\n", "\\n"))
        if len(self._lines) >= self.chunk_rows:
            self._seal()

    def _seal(self) -> None:
        if self._first is None or not self._lines:
            return
        data = zlib.compress("\n".join(self._lines).encode(), 1)
        self._pending.append(
            {
                "import_run_id": self.run_id,
                "first_row": self._first,
                "last_row": self._last,
                "data": data,
            }
        )
        self._lines = []
        self._first = None
        if len(self._pending) >= 8:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self.session.execute(insert(RawChunk), self._pending)
            self._pending = []

    def close(self) -> None:
        self._seal()
        self.flush()


def read_raw_row(session: Session, run_id: int, row_number: int) -> str | None:
    """The source line of one row, as it was read (newlines inside a record escaped as \\n)."""
    chunk = session.execute(
        select(RawChunk.first_row, RawChunk.data).where(
            RawChunk.import_run_id == run_id,
            RawChunk.first_row <= row_number,
            RawChunk.last_row >= row_number,
        )
    ).first()
    if chunk is None:
        return None
    lines: list[str] = zlib.decompress(chunk.data).decode().split("\n")
    first: int = chunk.first_row
    return lines[row_number - first]


def forget_raw_of_same_file(session: Session, kind: str, sha256: str, keep_run_id: int) -> int:
    """A file imported again is the same data: only its newest run keeps the raw rows."""
    earlier = select(ImportRun.id).where(
        ImportRun.kind == kind, ImportRun.sha256 == sha256, ImportRun.id != keep_run_id
    )
    result = session.execute(delete(RawChunk).where(RawChunk.import_run_id.in_(earlier)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
