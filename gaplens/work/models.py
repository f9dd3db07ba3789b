"""Work, domain layer: the shared work items (issues and tickets) the metrics read.

Work item ids are uuid5(source, key), so re-importing a file, or a later export overlapping
an earlier one, rewrites exactly the items it names. Each tracker's own rows are the tool
layer (gaplens/work/tools.py). Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class WorkItem(Base):
    """Domain: an issue or ticket with the times and counts the leadership metrics need."""

    __tablename__ = "work_item"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    item_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(64))
    status_category: Mapped[str | None] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    assignee_ref: Mapped[str | None] = mapped_column(String(320))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    story_points: Mapped[float | None] = mapped_column(Float)
    sprint: Mapped[str | None] = mapped_column(String(200))
    reopen_count: Mapped[int | None] = mapped_column(Integer)
    """None when the source cannot tell (a Jira CSV has no history): unknown is not zero."""
    rework_count: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)


class WorkItemTransition(Base):
    __tablename__ = "work_item_transition"

    work_item_id: Mapped[str] = mapped_column(
        ForeignKey("work_item.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    from_status: Mapped[str | None] = mapped_column(String(64))
    to_status: Mapped[str] = mapped_column(String(64))
