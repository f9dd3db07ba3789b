"""AI usage, domain layer: what the metrics, the funnel and the releases read.

`ai_usage_day` is one row per person, day, tool and app with activity, derived from the tool
tables (gaplens/telemetry/tools.py) or written by a mapped CSV import; training records and
the adoption dates telemetry gives complete it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class AiUsageDay(Base):
    """Domain: a person was active with an AI tool (and app) on a day, with what it produced.

    Counts are null where the tool does not report them (Microsoft 365 gives dates only).
    """

    __tablename__ = "ai_usage_day"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    tool: Mapped[str] = mapped_column(String(32), primary_key=True)
    app: Mapped[str] = mapped_column(String(32), primary_key=True)
    interactions: Mapped[int | None] = mapped_column(Integer)
    suggestions: Mapped[int | None] = mapped_column(Integer)
    acceptances: Mapped[int | None] = mapped_column(Integer)
    loc_suggested: Mapped[int | None] = mapped_column(Integer)
    loc_added: Mapped[int | None] = mapped_column(Integer)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)


class TrainingRecord(Base):
    """Domain: a completed training or certification, for the adoption funnel."""

    __tablename__ = "training_record"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    import_run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id"), index=True)


class TelemetryAdoption(Base):
    """A person's AI adoption date derived from usage telemetry (first sustained use, see
    gaplens/telemetry/adoption.py), for someone the directory gives no date.

    Derived once, by the measured release build, from the telemetry up to `data_through`,
    and never changed afterwards: a published figure that a later build computed with a
    different date would tell, by the difference, whose date moved. A date the directory
    gives later takes precedence (as any directory correction does); the rule it was
    derived with is kept so the report can say how.
    """

    __tablename__ = "telemetry_adoption"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    adopted_on: Mapped[dt.date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    days_per_week: Mapped[int] = mapped_column(Integer)
    data_through: Mapped[dt.date] = mapped_column(Date)
