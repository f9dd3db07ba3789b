"""Work trackers, tool layer: each tracker's own rows as its export or API states them.

Only the ingest packages read them (an import contract in pyproject.toml):
`gaplens/work/service.py` fills them from the connectors together with the domain work items
(gaplens/work/models.py), which everything above reads. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class JiraIssue(Base):
    __tablename__ = "jira_issue"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    issue_id: Mapped[str | None] = mapped_column(String(32))
    project: Mapped[str | None] = mapped_column(String(100))
    issue_type: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(64))
    status_category: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(320))
    created: Mapped[dt.datetime] = mapped_column(DateTime)
    updated: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved: Mapped[dt.datetime | None] = mapped_column(DateTime)
    story_points: Mapped[float | None] = mapped_column(Float)
    sprints: Mapped[str | None] = mapped_column(Text)
    labels: Mapped[str | None] = mapped_column(Text)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class JiraStatusChange(Base):
    """A status transition from the changelog of the REST search JSON (CSV has none)."""

    __tablename__ = "jira_status_change"

    issue_key: Mapped[str] = mapped_column(
        ForeignKey("jira_issue.key", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    from_status: Mapped[str | None] = mapped_column(String(64))
    to_status: Mapped[str] = mapped_column(String(64))


class ZendeskTicket(Base):
    __tablename__ = "zendesk_ticket"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(32))
    ticket_type: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(320))
    group_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    solved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reopens: Mapped[int | None] = mapped_column(Integer)
    replies: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)


class ServiceNowIncident(Base):
    __tablename__ = "servicenow_incident"

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(100))
    assigned_to: Mapped[str | None] = mapped_column(String(320))
    assignment_group: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reopen_count: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
