"""Copilot seats, tool layer: the seat assignments a GitHub connection pulls.

Only the ingest packages read it (an import contract in pyproject.toml):
`gaplens/sync/service.py` replaces an organisation's seats and writes each holder's licence
date to the directory (`person.ai_licence_date`), which everything above reads.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class CopilotSeat(Base):
    """A Copilot seat held in an organisation, as `/orgs/{org}/copilot/billing/seats` lists it
    (a tool table: the funnel's licence date is written from it to `person`)."""

    __tablename__ = "copilot_seat"

    org: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_login: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_editor: Mapped[str | None] = mapped_column(String(200))
    pending_cancellation_date: Mapped[dt.date | None] = mapped_column(Date)
    plan_type: Mapped[str | None] = mapped_column(String(32))
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
