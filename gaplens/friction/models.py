"""Friction entries are anonymous: a use case, a tool, the minutes and the outcome, a day and at
most a team; never who logged it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

SEVERITIES = ("low", "medium", "high")
OUTCOMES = ("kept", "fixed", "discarded")


class FrictionEntry(Base):
    __tablename__ = "friction_entry"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    logged_on: Mapped[dt.date] = mapped_column(Date, index=True)
    use_case: Mapped[str] = mapped_column(String(100), index=True)
    tool: Mapped[str] = mapped_column(String(100))
    minutes_correcting: Mapped[int] = mapped_column(Integer)
    minutes_saved: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(12))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_run.id"))
