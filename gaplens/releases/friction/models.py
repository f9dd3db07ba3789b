"""Friction release tables: classes of entries over whole ISO weeks, per use case and team.

The release header is the shared `release` row (dataset `friction`). A class is a use case
(or any use case), a team (or any team) and a period (an ISO week, the weeks of a month,
the weeks of a quarter) holding at least k entries whose outcomes are not all alike and
whose corrections are not all alike. Minutes are published only as sums over a class, and
only where no part of it (new entries, or a class of an earlier release) has one value
for all its entries.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class FrictionReleaseClass(Base):
    __tablename__ = "friction_release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    use_case: Mapped[str | None] = mapped_column(String(100))
    """The grouping key (case-folded); None for a class of use cases too small alone."""
    label: Mapped[str | None] = mapped_column(String(100))
    """The spelling shown: the class's most used one if at least k entries used it."""
    team_id: Mapped[int | None] = mapped_column(Integer)
    """A team (its entries and those of its teams not shown on their own); None: any."""
    level: Mapped[str] = mapped_column(String(8))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    n: Mapped[int] = mapped_column(Integer)
    outcomes: Mapped[list[int]] = mapped_column(JSON)
    """Entries kept, fixed, discarded."""
    corrected: Mapped[int] = mapped_column(Integer)
    """Entries that needed correction (fixed, discarded, or any minutes correcting)."""
    minutes_lost: Mapped[int | None] = mapped_column(Integer)
    minutes_saved: Mapped[int | None] = mapped_column(Integer)
    """Self-reported, counted for kept and fixed outputs only (a missing figure is 0)."""


class FrictionReleaseMember(Base):
    """Which entry sat in which class: for the next release's consistency and the auditor."""

    __tablename__ = "friction_release_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("friction_release_class.id", ondelete="CASCADE")
    )
