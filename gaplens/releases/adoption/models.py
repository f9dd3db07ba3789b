"""Adoption release tables: classes of licensed persons as of a month end.

The release header is the shared `release` row (dataset `adoption:{organisation_id}`, its
`answers_through` the month end). A class is a team (or any team) and a function (or any)
holding at least k licensed persons whose furthest stages are not all alike; it publishes
how many of them stopped at each stage. Trained and certified counts are published over
unions of whole classes whose members are not all alike on them (`AdoptionReleaseGroup`),
and so are the counts of persons holding each AI tool (the group's question is the tool).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

DATASET_PREFIX = "adoption:"


def dataset_of(organisation_id: int) -> str:
    return f"{DATASET_PREFIX}{organisation_id}"


class AdoptionReleaseClass(Base):
    __tablename__ = "adoption_release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(Integer)
    """A team (its persons and those of its teams not shown on their own); None: any."""
    function: Mapped[str | None] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)
    furthest: Mapped[list[int]] = mapped_column(JSON)
    """Persons whose furthest stage is licensed, activated, active, sustained, integrated."""


class AdoptionReleaseGroup(Base):
    """Trained (or certified) persons over a union of whole classes
    (its own code, at least as coarse as theirs) whose members are not all alike on it."""

    __tablename__ = "adoption_release_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(16))
    """`trained`, `certified`, or a tool (`github-copilot`, `m365-copilot`, `other`)."""
    team_id: Mapped[int | None] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)
    counts: Mapped[list[int]] = mapped_column(JSON)
    """Of the group's persons: those without it, those with it."""
    classes: Mapped[list[int]] = mapped_column(JSON)


class AdoptionReleaseMember(Base):
    """Which person sat in which class, and what they counted as: for the next month's
    consistency and the auditor (a person who left, or lost their licence, can no longer be
    recomputed; the auditor checks every figure against these). Never read by a page."""

    __tablename__ = "adoption_release_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("adoption_release_class.id", ondelete="CASCADE")
    )
    stage: Mapped[int] = mapped_column(Integer)
    trained: Mapped[bool] = mapped_column(Boolean)
    certified: Mapped[bool] = mapped_column(Boolean)
    tools: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    """The AI tools they held by the month end (github-copilot, m365-copilot, or other);
    None in releases built before tool counts were published."""
