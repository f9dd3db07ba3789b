"""Cost inputs an administrator sets: one row per input, absent rows fall back to defaults.

Kept in the store (not a file passed to the report) so the CLI, the API and the web export
all price the same report the same way, and a change is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class CostInput(Base):
    __tablename__ = "cost_input"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """'hourly_cost' or 'seat_price.<tool>' (see gaplens.costs.schemas.INPUTS)."""
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    updated_on: Mapped[dt.date] = mapped_column(Date)
