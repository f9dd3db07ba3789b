"""Reflection tables: who was asked (invitations) and what was written (entries), apart.

The two tables share no column that could join them: an invitation knows its person, step
and due day, never whether it was used (a used link adds a keyed tag to `spent_link`, see
gaplens.spent) nor which entry it produced; an entry knows only its
step, the writer's function and the month it was written, and has a random id. Nothing
records when an invitation was used, so neither side carries a day the other could match.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class ReflectionInvitation(Base):
    """One step (right after, +1 day, +1 week) of one person's reflection series.

    The id is uuid5 of the trigger and the step, so scheduling again never duplicates.
    `token_hash` is the SHA-256 of the single-use link, set when the link is issued (the
    token itself is handed to the mail tool once and never stored).
    """

    __tablename__ = "reflection_invitation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    series_id: Mapped[str] = mapped_column(String(36), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    """'training' (a completed training or certification) or 'first_use' (of an AI tool)."""
    trigger_on: Mapped[dt.date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(8))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_issued_on: Mapped[dt.date | None] = mapped_column(Date)


class ReflectionEntry(Base):
    """What someone wrote: coarse bands and the month, nothing that names or links a person.

    `step` is None for reflections sent through the Slack command (no invitation), and
    `function` is None when it is not known (Slack). The id is random.
    """

    __tablename__ = "reflection_entry"
    # SQLite keeps rows in primary-key (random) order instead of a rowid in writing order,
    # so the file's layout does not follow the order in which invitations were used.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(8))
    step: Mapped[str | None] = mapped_column(String(8))
    function: Mapped[str | None] = mapped_column(String(100))
    written_in: Mapped[dt.date] = mapped_column(Date, index=True)
    """The first day of the month it was written in: the month, never the day."""
    learned: Mapped[str | None] = mapped_column(Text)
    means: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[int | None] = mapped_column(Integer)
