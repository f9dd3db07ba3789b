"""Measured release tables: metric figures per month end over classes of people.

The release header is the shared `release` row (dataset `metrics:<organisation id>`, one
per month end, `answers_through` the month end). Each metric has three kinds of class:
`current` (people with a value over the 90 days to the month end: new values every month),
`users` and `controls` (AI users and non-users with values before and after their pivot:
values that stay the same from one month to the next, so those classes are kept
consistent across months through `measured_lineage`). A figure is computed over the
classes whose code lies inside its scope, and stored whole, so a page only reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

LINEAGES = ("current", "users", "controls")


class MeasuredClass(Base):
    """People sharing one code for one metric's kind of figure: at least k, values not all
    alike (a group whose values are all the same would tell each member's)."""

    __tablename__ = "measured_release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(40))
    lineage: Mapped[str] = mapped_column(String(8))
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    band: Mapped[str | None] = mapped_column(String(16))
    """For `users`: the AI-tenure band at the month end (None once merged across bands)."""
    n: Mapped[int] = mapped_column(Integer)


class MeasuredFigure(Base):
    """One metric's overview for one scope (a team with its sub-teams and/or a function;
    None: all), exactly as pages and reports show it."""

    __tablename__ = "measured_release_figure"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    metric: Mapped[str] = mapped_column(String(40))
    overview: Mapped[dict[str, Any]] = mapped_column(JSON)


class MeasuredLineage(Base):
    """A person admitted to one metric's `users` or `controls` figures: the code of the group
    they were admitted with, the month it was, and the values they had then. They stay in
    every later release with exactly these, so no two releases differ by fewer than k."""

    __tablename__ = "measured_lineage"
    __table_args__ = ({"sqlite_with_rowid": False},)

    dataset: Mapped[str] = mapped_column(String(120), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    lineage: Mapped[str] = mapped_column(String(8), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    since: Mapped[dt.date] = mapped_column(Date)
    before: Mapped[float] = mapped_column(Float)
    after: Mapped[float] = mapped_column(Float)


class MeasuredPanelPerson(Base):
    """A person in the staggered-adoption panel of an organisation, frozen when first seen.

    Everything a published cell depends on is frozen: the person's place in the month
    arrays (`seq`), their function (the scope they count in), and their role: `cohort`, the
    month number (year * 12 + month - 1) they first used AI in, or None while not yet
    treated; `stopped`, the first month from which nothing more of theirs is added (an
    adoption date that arrived after months it falls in were released as untreated). A
    later import can change none of these, so a published cell never changes.
    """

    __tablename__ = "measured_panel_person"
    __table_args__ = ({"sqlite_with_rowid": False},)

    dataset: Mapped[str] = mapped_column(String(120), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    cohort: Mapped[int | None] = mapped_column(Integer)
    stopped: Mapped[int | None] = mapped_column(Integer)


class MeasuredPanelMonth(Base):
    """One metric's per-person values for one released month, frozen at its release: a
    float64 array indexed by `MeasuredPanelPerson.seq` (NaN: no value), so late-resolved
    work or a person imported later cannot change a month already published."""

    __tablename__ = "measured_panel_month"
    __table_args__ = ({"sqlite_with_rowid": False},)

    dataset: Mapped[str] = mapped_column(String(120), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    values: Mapped[bytes] = mapped_column(LargeBinary)


class MeasuredStaggered(Base):
    """The staggered-adoption estimate of one metric for one scope (the organisation, or a
    function), as published with one month end's release (`StaggeredFigures`)."""

    __tablename__ = "measured_release_staggered"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(String(40))
    function: Mapped[str | None] = mapped_column(String(100))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
