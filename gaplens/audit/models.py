"""The audit log, and the differential-privacy budget and roll-ups of each survey."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, object] | None] = mapped_column(JSON)


class PrivacyBudget(Base):
    """Differential-privacy budget of one survey (rule 7): what was granted and spent."""

    __tablename__ = "privacy_budget"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True
    )
    total_epsilon: Mapped[float] = mapped_column(Float)
    spent_epsilon: Mapped[float] = mapped_column(Float)


class NoisyRelease(Base):
    """A noisy histogram released once and reused, so asking again spends nothing."""

    __tablename__ = "noisy_release"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    epsilon: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
