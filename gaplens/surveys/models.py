"""Survey tables.

A response carries only banded attributes and a day: no person id, no account, no IP, no
exact timestamp (privacy rule 4). Who was invited or responded lives in other tables, added
with web collection, and nothing links them to these rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gaplens.db.base import Base


class BankQuestion(Base):
    """One question of one version of the built-in bank (or a custom question, version 0)."""

    __tablename__ = "bank_question"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    scale: Mapped[str] = mapped_column(String(32))
    options: Mapped[list[str]] = mapped_column(JSON)
    audience: Mapped[str] = mapped_column(String(32))
    benchmark: Mapped[dict[str, object] | None] = mapped_column(JSON)
    texts: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    """A custom question's wording per language ({"de": ...}); `text` is the default."""


class Survey(Base):
    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    series: Mapped[str | None] = mapped_column(String(200), index=True)
    """Repeated pulses of the same survey share a series; the gap trend follows it."""
    bank_version: Mapped[int] = mapped_column(Integer)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    response_key_salt: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    """Set when an admin closes the survey: its links accept no more answers, and its last
    day counts as over, so the release built at close includes that day."""


class SurveyQuestion(Base):
    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("bank_question.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)


class SurveyResponse(Base):
    """One anonymous response: bands and a day, nothing that names a person."""

    __tablename__ = "survey_response"
    # SQLite keeps rows in primary-key (random) order instead of a rowid in writing order,
    # so the file's layout does not follow the order in which responses arrived.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    answered_on: Mapped[dt.date] = mapped_column(Date)
    role_level: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    function: Mapped[str | None] = mapped_column(String(100))
    ai_tenure_band: Mapped[str | None] = mapped_column(String(16))


class SurveyAnswer(Base):
    """One answer value, keyed by what it answers so a re-import rewrites identical rows.

    Multi-choice questions store one row per chosen option (`ordinal` is the option index);
    every other question stores a single row with ordinal 0.
    """

    __tablename__ = "survey_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)  # random response-id order, as above

    response_id: Mapped[str] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("bank_question.id", ondelete="RESTRICT"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    option_index: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)


class SurveyLink(Base):
    """An answer link: the open anonymous link, or one single-use invitation.

    An invitation knows whom it was sent to, never whether it was used: using it leaves
    this row as it was and adds a keyed tag to `spent_link` (gaplens.spent), which only the
    server's key maps back to an invitation. Responses carry no link id, and no time is
    stored on either side beyond the response's day.
    """

    __tablename__ = "survey_link"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
