"""Feedback rows carry what was said and the day: nothing about who said it or from where."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class FeedbackItem(Base):
    __tablename__ = "feedback_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    use_case: Mapped[str | None] = mapped_column(String(100))
    tool: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(16))


class SlackReplay(Base):
    """Signatures of accepted Slack requests, kept for the 5-minute replay window only.

    Kept apart from feedback rows (no link between the two), and deleted once expired.
    """

    __tablename__ = "slack_replay"

    signature: Mapped[str] = mapped_column(String(80), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
