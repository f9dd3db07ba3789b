"""Records each import with its file digest, so an operator can trace what came from where."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

from gaplens.imports.models import ImportRun

ProgressCallback = Callable[[int], None]
"""Called now and then with the bytes read so far, for a progress bar."""


@dataclass(frozen=True)
class ConnectorSummary:
    """What one tool-export import did, in the words the CLI and the API both report."""

    kind: str
    source: str
    rows_read: int
    rows_written: int
    rows_unresolved: int = 0
    unresolved_note: str = ""
    detail: str = ""
    warnings: tuple[str, ...] = ()
    """What the file left unknown or lacks that some figure needs (an incomplete changelog,
    an absent story-points column), said rather than kept silent."""

    def describe(self) -> str:
        text = (
            f"{self.rows_read} rows read from {self.source} ({self.kind}): "
            f"{self.rows_written} written"
        )
        if self.detail:
            text += f"; {self.detail}"
        if self.rows_unresolved:
            text += f"\n{self.rows_unresolved} rows name someone not in the directory"
            if self.unresolved_note:
                text += f": {self.unresolved_note}"
        for warning in self.warnings:
            text += f"\nwarning: {warning}"
        return text


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_import(
    session: Session,
    kind: str,
    path: Path,
    rows_read: int,
    rows_written: int,
    scope: str | None = None,
) -> ImportRun:
    run = ImportRun(
        kind=kind,
        source_name=path.name,
        sha256=file_sha256(path),
        scope=scope,
        rows_read=rows_read,
        rows_written=rows_written,
        imported_at=dt.datetime.now(dt.UTC),
    )
    session.add(run)
    session.flush()
    return run


_digests: WeakKeyDictionary[ImportRun, Future[str]] = WeakKeyDictionary()


def start_run(session: Session, kind: str, path: Path, scope: str | None = None) -> ImportRun:
    """An import run recorded up front, so tool and raw rows written meanwhile can point at it.

    The run commits with the rows or not at all (the caller's transaction). The file's digest
    is computed on a worker thread while the import reads the file (hashlib lets go of the
    GIL), instead of a whole extra pass before it; `finish_run` stores it."""
    run = ImportRun(
        kind=kind,
        source_name=path.name,
        sha256="",
        scope=scope,
        rows_read=0,
        rows_written=0,
        imported_at=dt.datetime.now(dt.UTC),
    )
    session.add(run)
    session.flush()
    _digests[run] = _in_background(file_sha256, path)
    return run


def _in_background(work: Callable[[Path], str], path: Path) -> Future[str]:
    """`work(path)` on a daemon thread: an import that stops early does not wait for it."""
    future: Future[str] = Future()

    def run() -> None:
        try:
            future.set_result(work(path))
        except BaseException as error:  # handed to whoever asks for the result
            future.set_exception(error)

    threading.Thread(target=run, name="gaplens-sha256", daemon=True).start()
    return future


def finish_run(run: ImportRun, rows_read: int, rows_written: int, rows_unresolved: int = 0) -> None:
    """Counts and the file's digest; call it before anything reads `run.sha256`."""
    digest = _digests.pop(run, None)
    if digest is not None:
        run.sha256 = digest.result()
    run.rows_read = rows_read
    run.rows_written = rows_written
    run.rows_unresolved = rows_unresolved
