"""The audit log, and the per-viewer history of respondent sets the privacy gate checks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String
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


class ViewedSet(Base):
    """One respondent set already released to a viewer (privacy rule 3)."""

    __tablename__ = "viewed_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer: Mapped[str] = mapped_column(String(100), index=True)
    size: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)


class ViewedMember(Base):
    __tablename__ = "viewed_member"

    set_id: Mapped[int] = mapped_column(
        ForeignKey("viewed_set.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(32), primary_key=True)
    """A response id as it is, or 32 hex characters of the SHA-256 of a longer member
    (a prefixed person or friction entry id): see `gaplens.audit.service.stored_member`."""


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
