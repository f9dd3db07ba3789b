"""Actions and their status history.

An action is a staff record, never private data: it holds the step's title, action and
evidence exactly as the report showed them (gate-cleared words), or what staff typed for an
action of their own, and who owns it. Every change of status (and of owner or due date) is
kept as a row of `action_change`, so the plan's history cannot be rewritten.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (
        Index(
            "ix_action_proposal",
            "organisation_id",
            "rule",
            "scope_kind",
            "scope_key",
            "period_start",
            "period_end",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    rule: Mapped[str | None] = mapped_column(String(64))
    """The next-step rule it was adopted from (docs/next-steps.md); None: staff's own."""
    scope_kind: Mapped[str] = mapped_column(String(16))
    """organisation / function / team."""
    scope_key: Mapped[str] = mapped_column(String(100))
    """The function's name or the team's key; "" for the organisation."""
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    """The figures the report showed with the step, in words, one per line."""
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="RESTRICT"))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    """Why it was dropped (required then)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="RESTRICT"))


class ActionChange(Base):
    """One change of an action: who, when, the status before and after, and the note."""

    __tablename__ = "action_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="RESTRICT"))
    status_from: Mapped[str | None] = mapped_column(String(16))
    """None for the row recording the action's creation."""
    status_to: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
