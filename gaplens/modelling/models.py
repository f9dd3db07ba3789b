"""Leaders' posts about their own AI workflows, and anonymous "useful" marks on them.

A post is signed: leaders model the behaviour in the open, so the author is a staff account.
Whether the AI got something wrong is a column of its own (`admits_failure`), never inferred
from the text, because the report counts it. A mark stores only a keyed hash of a random
browser token, keyed per post, so a reader of the table cannot even tell that two marks on
two posts came from the same browser.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class LeaderPost(Base):
    __tablename__ = "leader_post"
    __table_args__ = (
        CheckConstraint(
            "(admits_failure AND what_went_wrong IS NOT NULL)"
            " OR (NOT admits_failure AND what_went_wrong IS NULL)",
            name="failure_stated",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    task: Mapped[str] = mapped_column(String(300))
    tool: Mapped[str] = mapped_column(String(100))
    what_worked: Mapped[str] = mapped_column(Text)
    admits_failure: Mapped[bool] = mapped_column(Boolean)
    """True: `what_went_wrong` says what; False: the author marked "nothing went wrong"."""
    what_went_wrong: Mapped[str | None] = mapped_column(Text)
    function: Mapped[str | None] = mapped_column(String(100))
    """The function whose work the post is about; None for the whole organisation."""
    published_on: Mapped[dt.date] = mapped_column(Date, index=True)
    edited_on: Mapped[dt.date | None] = mapped_column(Date)
    """Day of the latest edit after publishing; shown on the post."""
    mark_key: Mapped[str] = mapped_column(String(64))
    """Random per-post key for the marks' keyed hashes."""


class LeaderPostMark(Base):
    """One browser found one post useful: the keyed hash of its token and the day, nothing else."""

    __tablename__ = "leader_post_mark"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("leader_post.id", ondelete="CASCADE"), primary_key=True
    )
    reader_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    marked_on: Mapped[dt.date] = mapped_column(Date, index=True)
