"""Mail tables: a schedule per survey, who was invited (a day), and how each round went.

None of them holds a response id, a token, a link hash or a time finer than a day, and none
says whether an invitation was used: reminders ask the spent tags through the server's key
at send time and write no per-person row (docs/mail.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class MailSchedule(Base):
    """When a survey's messages go out, to whom (a team and below, or everyone) and how."""

    __tablename__ = "mail_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), unique=True)
    team_key: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    """"email" or "slack"."""
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    reminder_days: Mapped[list[int]] = mapped_column(JSON)
    """Days after opening on which people whose invitation is unused are reminded."""
    closing_reminder: Mapped[bool] = mapped_column(default=True)
    link_salt: Mapped[str] = mapped_column(String(32))
    """Mixed into each person's link, which is an HMAC under the server key: the link can be
    sent again in a reminder without being stored, and is no easier to guess than a random
    one (the key is not in the database)."""


class MailInvitation(Base):
    """One person's invitation message: sent, failed or bounced, on a day.

    Everyone in the schedule's scope gets one, so this says nothing about answering."""

    __tablename__ = "mail_invitation"
    __table_args__ = (UniqueConstraint("survey_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    """"sent", "failed" (tried the bounded number of times, or refused for a reason of the
    message) or "bounced" (the recipient refused: 5xx at RCPT, no such Slack user)."""
    address: Mapped[str] = mapped_column(String(320))
    """The address tried (directory data): a bounced one is tried again once it changes."""
    detail: Mapped[str | None] = mapped_column(Text)
    """The server's reply for a failure (e.g. "550 5.1.1 no such user")."""
    attempts: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[dt.date] = mapped_column(Date)


class MailRound(Base):
    """One round of a schedule: the invitation, a reminder (step = its day after opening) or
    the closing reminder (step -1). Reminder rounds keep no count of messages sent, which
    would be the number of unused invitations at that moment, only of failures."""

    __tablename__ = "mail_round"
    __table_args__ = (UniqueConstraint("survey_id", "kind", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    """What stopped the round, if anything (the server unreachable after every try)."""
