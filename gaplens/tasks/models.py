"""Task preference map tables.

The catalogue is what admins seed; a round freezes it (as a survey freezes its questions) so
every respondent of a round answers the same tasks. A response carries only self-reported
bands and a day, never a person, link, address or time (privacy rule 4); invitations live in
`task_link`, which knows whom a link was sent to, never whether it was used (a used link
adds a keyed tag to `spent_link`, see gaplens.spent) nor which response it produced.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

STANCES = ("keep", "hate", "neither")
"""Keep doing it / hate it (take it off my plate) / neither."""


class CatalogueTask(Base):
    """One task of one function's catalogue, with a key that stays stable across rounds."""

    __tablename__ = "task_catalogue"
    __table_args__ = (UniqueConstraint("function", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    function: Mapped[str] = mapped_column(String(100), index=True)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    judgement_hint: Mapped[int | None] = mapped_column(Integer)
    """The admin's guess (1-5) of how much judgement the task needs; shown beside people's."""
    use_cases: Mapped[list[str]] = mapped_column(JSON)
    """Scorecard use cases this task maps to explicitly (see docs/tasks.md, matching)."""
    metrics: Mapped[list[str]] = mapped_column(JSON)
    """Metric registry keys that would show a change in this task."""
    position: Mapped[int] = mapped_column(Integer)


class TaskRound(Base):
    """One run of the task preference survey (e.g. before a rollout phase)."""

    __tablename__ = "task_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    response_key_salt: Mapped[str] = mapped_column(String(64))
    """Per round, so an imported response id cannot be matched back to the source tool."""


class RoundTask(Base):
    """The catalogue as the round asks it: frozen once the round has its first answer."""

    __tablename__ = "task_round_task"
    __table_args__ = (UniqueConstraint("round_id", "function", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("task_round.id", ondelete="CASCADE"))
    function: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    judgement_hint: Mapped[int | None] = mapped_column(Integer)
    use_cases: Mapped[list[str]] = mapped_column(JSON)
    metrics: Mapped[list[str]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer)


class TaskLink(Base):
    """An answer link of a round: the open link, or one single-use invitation."""

    __tablename__ = "task_link"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("task_round.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class TaskResponse(Base):
    """One anonymous respondent: bands and a day, nothing that names a person."""

    __tablename__ = "task_response"
    # SQLite keeps rows in primary-key (random) order instead of a rowid in writing order,
    # so the file's layout does not follow the order in which responses arrived.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("task_round.id", ondelete="CASCADE"), index=True
    )
    answered_on: Mapped[dt.date] = mapped_column(Date)
    role_level: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    function: Mapped[str] = mapped_column(String(100))


class TaskAnswer(Base):
    """One task of one response: a catalogue task (`task_key`) or a free one (`free_label`)."""

    __tablename__ = "task_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)  # random response-id order, as above

    response_id: Mapped[str] = mapped_column(
        ForeignKey("task_response.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_key: Mapped[str | None] = mapped_column(String(64))
    free_label: Mapped[str | None] = mapped_column(String(100))
    stance: Mapped[str] = mapped_column(String(8))
    hours_lost: Mapped[float] = mapped_column(Float)
    """Hours per week lost on it (self-reported)."""
    judgement: Mapped[int] = mapped_column(Integer)
    """How much judgement it needs, 1 (none) to 5 (a great deal)."""
