"""Tables of the reflections release (data set `reflections`; the `release` row is shared).

Invitations and entries are coded apart (an entry cannot be joined to an invitation, see
docs/privacy.md), so a class holds one kind only. Months are final when released (every
link due in them has expired, every entry of them is written), and each release covers
months no earlier release covered: no invitation or entry is ever in two releases.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class ReflectionReleaseClass(Base):
    """At least k invitations (or entries) sharing one code. An invitation class also has
    a used count, never 0 and never all: a unanimous class tells each member's part."""

    __tablename__ = "reflection_release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    """'invitation' (links sent) or 'entry' (reflections written)."""
    step: Mapped[str | None] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    """'2026-03' (a month) or '2026-Q1' (a quarter)."""
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)
    used: Mapped[int | None] = mapped_column(Integer)


class ReflectionReleaseMember(Base):
    """Which invitation or entry sat in which class, for the auditor (`gaplens privacy
    audit`); it says nothing its own step, month and bands do not already say."""

    __tablename__ = "reflection_release_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("reflection_release_class.id", ondelete="CASCADE")
    )


class ReflectionReleaseGroup(Base):
    """Figures over a union of classes (its code at least as coarse as theirs):
    'confidence' (ratings 1-5 counted, at least k, never all alike), 'texts' (at least
    the comment threshold of reflections, shuffled into a fixed order, for themes) and
    'usage' (+1-week invitations: active-day bins of participants and non-participants,
    at least k each, never all in one bin)."""

    __tablename__ = "reflection_release_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(7))
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    classes: Mapped[list[int]] = mapped_column(JSON)
    texts: Mapped[list[str] | None] = mapped_column(JSON)
