"""Wins. The numbers are not columns: they are computed from the data whenever a win is read."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class Win(Base):
    __tablename__ = "win"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(500))
    metric_key: Mapped[str | None] = mapped_column(String(64))
    """None for a self-reported win (no evidence from the data)."""
    method: Mapped[str | None] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    function: Mapped[str | None] = mapped_column(String(100))
    before_start: Mapped[dt.date | None] = mapped_column(Date)
    before_end: Mapped[dt.date | None] = mapped_column(Date)
    after_start: Mapped[dt.date] = mapped_column(Date)
    after_end: Mapped[dt.date] = mapped_column(Date)
    """The period of the win (every win has one, self-reported ones too)."""
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
