"""Feedback release tables: classes of items over whole ISO weeks, and texts per month.

The release header is the shared `release` row (dataset `feedback`). A class is a use case
(or none: items naming none, and use cases too small alone) and a period (an ISO week, the
weeks of a month, the weeks of a quarter) holding at least k items whose kinds are not all
alike; its kind counts are published with it. Themes and comments are
published per completed month over the classes inside it, only for a kind with at least
`min_comment_group_size` items there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class FeedbackReleaseClass(Base):
    __tablename__ = "feedback_release_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    use_case: Mapped[str | None] = mapped_column(String(100))
    """The grouping key (case-folded); None for items naming no use case, or one too small
    alone in a quarter."""
    label: Mapped[str | None] = mapped_column(String(100))
    """The spelling shown: the class's most used one if at least k items used it."""
    level: Mapped[str] = mapped_column(String(8))
    """week, month or quarter (months and quarters are runs of whole ISO weeks)."""
    start: Mapped[dt.date] = mapped_column(Date)
    """The Monday of the period's first week."""
    end: Mapped[dt.date] = mapped_column(Date)
    """The Sunday of the period's last week."""
    n: Mapped[int] = mapped_column(Integer)
    counts: Mapped[list[int]] = mapped_column(JSON)
    """Items per kind, in `releases.feedback.service.KINDS` order."""


class FeedbackReleaseMember(Base):
    """Which item sat in which class: for the next release's consistency and the auditor."""

    __tablename__ = "feedback_release_member"
    __table_args__ = ({"sqlite_with_rowid": False},)

    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_release_class.id", ondelete="CASCADE")
    )


class FeedbackReleaseText(Base):
    """One kind's themes and sample comments for one completed month (its classes inside)."""

    __tablename__ = "feedback_release_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[str] = mapped_column(String(7))
    """YYYY-MM: the month whose ISO weeks (by their Thursday) the texts come from."""
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)
    """Texts of this kind in the month's classes (at least min_comment_group_size)."""
    classes: Mapped[list[int]] = mapped_column(JSON)
    themes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """label, terms, size, sentiment, sentiment_label, examples, members (item ids, for the
    auditor only)."""
    comments: Mapped[list[dict[str, str]]] = mapped_column(JSON)
