"""Records each import with its file digest, so an operator can trace what came from where."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from gaplens.imports.models import ImportRun


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
