"""Release tables: what was published, to everyone at once, and over which classes.

A release never changes once written. `release_member` keeps which anonymous response sat in
which class, so the next release of the same data set can be kept consistent with it and
`gaplens privacy audit` can rebuild exactly what was published; it says nothing a response's
own bands do not already say.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class Release(Base):
    __tablename__ = "release"
    __table_args__ = (UniqueConstraint("dataset", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset: Mapped[str] = mapped_column(String(120), index=True)
    """What was released, e.g. `survey:12` (every release of a data set is audited together)."""
    seq: Mapped[int] = mapped_column(Integer)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime)
    cutoff: Mapped[dt.date] = mapped_column(Date)
    """Answers from days before this one are in; a day is released only once it is over."""
    answers_through: Mapped[dt.date] = mapped_column(Date)
    """The end of the week (Sunday, at most the day before the cutoff) of the latest answer
    in the release: when the pulse ran, to the week, never the day of one person's answer."""
    min_group_size: Mapped[int] = mapped_column(Integer)
    included: Mapped[int] = mapped_column(Integer)
    """Responses inside released classes (the rest are withheld until more arrive)."""
    withheld: Mapped[int] = mapped_column(Integer)


class ReleaseClass(Base):
    """A group of at least k responses sharing one code; every figure is a sum of these."""

    __tablename__ = "release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(32))
    tenure: Mapped[str | None] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)


class ReleaseMember(Base):
    __tablename__ = "release_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    response_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("release_class.id", ondelete="CASCADE"))


class ReleaseHistogram(Base):
    """One question's answer counts over a union of classes (its own code, at least as
    coarse as theirs): at least k answers, never all the same."""

    __tablename__ = "release_histogram"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(32))
    tenure: Mapped[str | None] = mapped_column(String(16))
    answered: Mapped[int] = mapped_column(Integer)
    counts: Mapped[list[int]] = mapped_column(JSON)
    classes: Mapped[list[int]] = mapped_column(JSON)


class ReleaseNote(Base):
    """Why a question of a release has no histogram at all (said in words on the page)."""

    __tablename__ = "release_note"
    __table_args__ = (UniqueConstraint("release_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))


class ReleaseCommentGroup(Base):
    """A union of classes whose free-text comments are published together: at least
    `min_comment_group_size` respondents with a comment, so no text points at fewer."""

    __tablename__ = "release_comment_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(32))
    tenure: Mapped[str | None] = mapped_column(String(16))
    commenters: Mapped[int] = mapped_column(Integer)
    classes: Mapped[list[int]] = mapped_column(JSON)


class ReleaseComment(Base):
    """One published comment: its words and month only, stored in a shuffled order under
    a random id, so neither the row order nor the id follows who wrote when."""

    __tablename__ = "release_comment"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("release_comment_group.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    month: Mapped[str] = mapped_column(String(7))
