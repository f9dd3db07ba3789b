"""Tables of the drivers release: per scope of a survey release, each factor's share of the
differences in the frontline's perceived gains, rounded to whole percent.

Written once, by the survey release builder, with the release they belong to; never
recomputed. A scope is a union of whole released classes (organisation, a function, a team
with the teams below it) and is stored only when it holds enough respondents (the floor)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class DriverScope(Base):
    """One scope's analysis: how many respondents it used and how much of the differences
    between them the factors together go with (whole percent, with its interval)."""

    __tablename__ = "driver_scope"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    """'organisation', 'function' or 'team' (with the teams below it)."""
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    respondents: Mapped[int] = mapped_column(Integer)
    """The scope's frontline respondents in released classes (a sum of class sizes, which
    the release already shows), not how many of them answered every question."""
    step: Mapped[int] = mapped_column(Integer)
    """What every figure of the scope is rounded to: 1 (whole percent) or 5 points."""
    explained: Mapped[int] = mapped_column(Integer)
    explained_low: Mapped[int] = mapped_column(Integer)
    explained_high: Mapped[int] = mapped_column(Integer)


class DriverFactor(Base):
    """One factor's share of the differences (whole percent) with its interval and, for a
    one-column factor, whether more of it goes with higher (+1) or lower (-1) gains."""

    __tablename__ = "driver_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_id: Mapped[int] = mapped_column(
        ForeignKey("driver_scope.id", ondelete="CASCADE"), index=True
    )
    factor: Mapped[str] = mapped_column(String(32))
    share: Mapped[int] = mapped_column(Integer)
    low: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)
    direction: Mapped[int | None] = mapped_column(Integer)
