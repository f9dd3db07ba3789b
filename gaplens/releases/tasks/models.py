"""The words a task-map release publishes beside its counts.

Counts live in the shared release tables (`release_class`, `release_member`,
`release_histogram`, `release_note`, with `dataset = "tasks:<round id>"`); a task answer's
persona is kept in the class's `role` column, the one dimension the task map does not use.
What is not a count is here: the label of each free-typed task the release names (only once
enough distinct respondents of a released group named it) and, per function, how its
personas were found.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base

FREE_TASK = "free_task"
PERSONAS = "personas"


class TaskReleaseText(Base):
    __tablename__ = "task_release_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("release.id", ondelete="CASCADE"), index=True
    )
    function: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    """`free_task` (its histograms are `free<id>.stance` ...) or `personas` (the method)."""
    key: Mapped[str] = mapped_column(String(100))
    """A free task's folded label (stable across releases); empty for `personas`."""
    text: Mapped[str] = mapped_column(String(400))
