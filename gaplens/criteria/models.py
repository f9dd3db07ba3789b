"""Success criteria and their revision history.

The status is not a column on purpose: it is computed from the data whenever a criterion is
read, so nobody can type it in. The baseline is stored, because it is fixed at definition
time (what the data said before the phase began), and every change to it is a revision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class SuccessCriterion(Base):
    __tablename__ = "success_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    phase_name: Mapped[str] = mapped_column(String(200))
    phase_start: Mapped[dt.date] = mapped_column(Date)
    metric_key: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    function: Mapped[str | None] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(32))
    baseline_days: Mapped[int] = mapped_column(Integer)
    baseline_end: Mapped[dt.date] = mapped_column(Date)
    """Last day of the baseline window: the day before the phase start, or the last day of
    imported data if that is earlier (days without data yet would bias the baseline)."""
    baseline: Mapped[dict[str, object]] = mapped_column(JSON)
    """The metric service's figure over the baseline window (a MetricFigure dump)."""
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[float] = mapped_column(Float)
    """A level in the metric's unit ("value"), or a fraction of the baseline ("relative")."""
    target_change: Mapped[float | None] = mapped_column(Float)
    """The change from the baseline the target asks for, in the metric's unit; None when the
    baseline had too little data."""
    review_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(String(320))
    retired_reason: Mapped[str | None] = mapped_column(Text)


class CriterionRevision(Base):
    """One change to a criterion: who, when, what changed (old and new), and why."""

    __tablename__ = "success_criterion_revision"
    __table_args__ = (UniqueConstraint("criterion_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("success_criterion.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(16))
    after_start: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict[str, list[str | None]]] = mapped_column(JSON)
    """Field -> [old, new], as the page shows them."""
