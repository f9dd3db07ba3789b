"""Statements of what is not changing, with every earlier wording kept.

The statement row holds the wording in force; each revision (the first included) is kept in
`commitment_revision`, so a statement can be reworded but never silently rewritten: people
who read an earlier promise can see what it said and when it changed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class Commitment(Base):
    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    stated_by: Mapped[str] = mapped_column(String(200))
    """Who makes the statement, in their words (e.g. "Dana Whitfield, COO")."""
    function: Mapped[str | None] = mapped_column(String(100))
    """None: the whole organisation; otherwise the function it is made for."""
    published_on: Mapped[dt.date] = mapped_column(Date, index=True)
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    """Number of the wording in force (1 until the first edit)."""
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="RESTRICT"))
    retired_on: Mapped[dt.date | None] = mapped_column(Date)
    retired_reason: Mapped[str | None] = mapped_column(Text)
    retired_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="RESTRICT")
    )


class CommitmentRevision(Base):
    """One wording of a statement and the day it took effect."""

    __tablename__ = "commitment_revision"

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("commitment.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    stated_by: Mapped[str] = mapped_column(String(200))
    function: Mapped[str | None] = mapped_column(String(100))
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    revised_on: Mapped[dt.date] = mapped_column(Date)
    revised_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="RESTRICT"))
