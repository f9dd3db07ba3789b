"""Raw rows, kept with their source: every line an import read, retrievable by row number."""

from __future__ import annotations

import zlib
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from gaplens.imports.models import ImportRun, RawChunk
from gaplens.imports.parallel import Writes

CHUNK_ROWS = 2000
PENDING_CHUNKS = 8


class RawRowWriter:
    """Buffers source lines and writes them as compressed chunks of consecutive rows.

    Call `add` for every row in file order and `close` once at the end; rows are written in
    the caller's transaction, so a failed import leaves no raw rows behind either. Chunks are
    compressed on a worker thread (zlib lets go of the GIL), so on a second core compression
    overlaps parsing instead of adding to it; at most `PENDING_CHUNKS` wait, so memory stays
    flat whatever the file size.
    """

    def __init__(
        self,
        session: Session,
        run: ImportRun,
        chunk_rows: int = CHUNK_ROWS,
        writes: Writes | None = None,
    ) -> None:
        self.session = session
        self.writes = writes
        self.run_id = run.id
        self.chunk_rows = chunk_rows
        self._first: int | None = None
        self._last = 0
        self._lines: list[str | bytes] = []
        self._pending: list[tuple[int, int, Future[bytes]]] = []
        self._pool: ThreadPoolExecutor | None = None

    def add(self, row_number: int, line: str | bytes) -> None:
        """One source row, as text or as the UTF-8 bytes read."""
        if self._first is None:
            self._first = row_number
        elif row_number != self._last + 1:
            self._seal()
            self._first = row_number
        self._last = row_number
        self._lines.append(line)
        if len(self._lines) >= self.chunk_rows:
            self._seal()

    def _seal(self) -> None:
        if self._first is None or not self._lines:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="gaplens-raw")
        text = chunk_text(self._lines)
        self._pending.append((self._first, self._last, self._pool.submit(zlib.compress, text, 1)))
        self._lines = []
        self._first = None
        if len(self._pending) >= PENDING_CHUNKS:
            self.flush(keep=2)  # the newest are still compressing: no need to wait for them

    def flush(self, keep: int = 0) -> None:
        """Write the sealed chunks, all but the newest `keep`."""
        ready = self._pending[: len(self._pending) - keep]
        if ready:
            # Compressed by now (the newest `keep` were still compressing); plain bytes, so
            # the write can also be sent to another process (gaplens.imports.parallel).
            chunks = [(first, last, data.result()) for first, last, data in ready]
            if self.writes is not None:
                self.writes.submit(self._write, chunks)
            else:
                self._write(chunks)
            self._pending = self._pending[len(ready) :]

    def _write(self, chunks: list[tuple[int, int, bytes]]) -> None:
        self.session.execute(
            insert(RawChunk),
            [
                {"import_run_id": self.run_id, "first_row": first, "last_row": last, "data": data}
                for first, last, data in chunks
            ],
        )

    def close(self) -> None:
        self._seal()
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


SEPARATOR = "\x1e"
"""Joins a chunk's lines before their newlines are escaped, when no line holds it itself."""


def chunk_text(lines: list[str | bytes]) -> bytes:
    """The lines as stored: UTF-8, one per line, a newline inside a line escaped as \\n.

    Joined and escaped a chunk at a time (a few C calls for thousands of lines) rather than
    line by line; lines holding the separator character take the line-by-line way."""
    try:
        if isinstance(lines[0], bytes):
            data = SEPARATOR.encode().join(lines)  # type: ignore[arg-type]
        else:
            data = SEPARATOR.join(lines).encode()  # type: ignore[arg-type]
    except TypeError:  # text and bytes mixed
        data = SEPARATOR.encode().join(_bytes(line) for line in lines)
    if data.count(SEPARATOR.encode()) != len(lines) - 1:
        return b"\n".join(_bytes(line).replace(b"\n", b"\\n") for line in lines)
    return data.replace(b"\n", b"\\n").replace(SEPARATOR.encode(), b"\n")


def _bytes(line: str | bytes) -> bytes:
    return line.encode() if isinstance(line, str) else line


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
