"""Copilot seats and premium request usage, tool layer: what a GitHub connection pulls.

Only the ingest packages read them (an import contract in pyproject.toml):
`gaplens/sync/service.py` replaces an organisation's seats and writes each holder's licence
date to the directory (`person.ai_licence_date`), which everything above reads; the cost
section reads the premium request bill through `gaplens/sync/queries.py` (no person in it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, DateTime, Float, ForeignKey, Integer, String
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


class CopilotPremiumUsage(Base):
    """One month of GitHub's premium request usage for an organisation or enterprise, per
    product, SKU and model, as its billing report lists it (a tool table; amounts in US
    dollars). Pulled without a user filter: no person is in it."""

    __tablename__ = "copilot_premium_usage"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    """`organization:<login>` or `enterprise:<slug>`: the account billed."""
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    """The first day of the month billed."""
    product: Mapped[str] = mapped_column(String(100), primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    unit_type: Mapped[str] = mapped_column(String(50))
    price_per_unit: Mapped[float] = mapped_column(Float)
    gross_quantity: Mapped[float] = mapped_column(Float)
    gross_amount: Mapped[float] = mapped_column(Float)
    discount_quantity: Mapped[float] = mapped_column(Float)
    discount_amount: Mapped[float] = mapped_column(Float)
    net_quantity: Mapped[float] = mapped_column(Float)
    net_amount: Mapped[float] = mapped_column(Float)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
