"""Import runs and the raw rows each one read, so every domain row can be traced to its source."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class ImportRun(Base):
    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str | None] = mapped_column(String(200))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_written: Mapped[int] = mapped_column(Integer)
    rows_unresolved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class RawChunk(Base):
    """Consecutive source rows exactly as read (one text line each, zlib-compressed together).

    Kept per run rather than per row: a 5-million-row export stays a few hundred megabytes
    and is written at the speed of the file, yet any row can still be read back by number.
    """

    __tablename__ = "raw_chunk"

    import_run_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True
    )
    first_row: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_row: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
