"""Connections: the sources gaplens pulls from, credentials encrypted at rest (the seats a
GitHub connection pulls are a tool table, gaplens/sync/tools.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class Connection(Base):
    """One source gaplens pulls from on a schedule. `credentials` is a Fernet token (see
    `sync/secrets.py`): the database alone never reveals the token; `__repr__` names no secret."""

    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    org: Mapped[str] = mapped_column(String(200))
    """Organisation (or enterprise) slug the API paths name."""
    credentials: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(Text, default="{}")
    """JSON cursor per stream, e.g. {"users-1-day": "2026-11-30"}: the last day stored."""
    interval_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_success: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_due: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Connection(id={self.id!r}, kind={self.kind!r}, name={self.name!r})"
