"""What enters (a statement of what stays the same) and what leaves (statements with their
earlier wordings, and the report section beside the job-security-clarity answers)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gaplens.dates import PlausibleDay
from gaplens.i18n import N_

TEXT_MIN = 10
TEXT_MAX = 600
STATED_BY_MAX = 200
FUNCTION_MAX = 100
REASON_MAX = 500


class Category(StrEnum):
    ROLE = "role"
    SKILL = "skill"
    KNOWLEDGE = "knowledge"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.ROLE: N_("A role that stays"),
    Category.SKILL: N_("A skill that still matters"),
    Category.KNOWLEDGE: N_("Knowledge that gains value"),
    Category.OTHER: N_("Something else that stays"),
}


class StatementIn(BaseModel):
    """A statement as a leader makes it; the service checks the function and the dates."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: Category
    text: str = Field(min_length=TEXT_MIN, max_length=TEXT_MAX)
    stated_by: str = Field(min_length=2, max_length=STATED_BY_MAX)
    """Who makes the statement, e.g. "Dana Whitfield, Chief Operating Officer"."""
    function: str | None = Field(default=None, max_length=FUNCTION_MAX)
    """Empty for the whole organisation, or the function it is made for."""
    review_on: PlausibleDay | None = None
    """When leadership will look at it again (optional; after the day it is made)."""

    @field_validator("stated_by")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("function")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=REASON_MAX)
    """Why it no longer holds; shown with the retired statement."""

    @field_validator("reason")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class RevisionOut(BaseModel):
    number: int
    category: Category
    text: str
    stated_by: str
    function: str | None
    review_on: dt.date | None
    revised_on: dt.date
    """The day this wording took effect."""
    revised_by: str
    """Display name of the staff account that entered it."""


class StatementOut(BaseModel):
    id: int
    category: Category
    category_label: str
    text: str
    stated_by: str
    function: str | None
    published_on: dt.date
    review_on: dt.date | None
    revision: int
    revised_on: dt.date | None
    """Day of the latest rewording; None if never reworded."""
    earlier: list[RevisionOut] = Field(default_factory=list)
    """Earlier wordings, newest first: a statement is never silently rewritten."""
    retired_on: dt.date | None = None
    retired_reason: str | None = None


class StatementCreated(BaseModel):
    id: int
    revision: int


# --- the report section -----------------------------------------------------------------

GroupStatus = Literal["shown", "not_enough_responses", "suppressed"]


class Proportion(BaseModel):
    """A share (0-1) with its Wilson 95% interval."""

    share: float
    low: float
    high: float


class PointsChange(BaseModel):
    """A difference of two shares in percentage points with its Newcombe 95% interval."""

    estimate: float
    low: float
    high: float


class ClarityGroup(BaseModel):
    status: GroupStatus
    n: int | None = None
    yes: int | None = None
    clarity: Proportion | None = None
    """Share answering "yes" to "Do you know whether AI will change or replace your job?"."""


class ClarityPoint(BaseModel):
    survey: str
    first_week: dt.date
    """The Monday of the first week with published answers (from the pulse's first release;
    never the day of one answer)."""
    answers_through: dt.date
    """The day the pulse's latest release's answers run through."""
    statements_in_force: int
    """Statements in scope in force on `first_week`."""
    everyone: ClarityGroup
    individual_contributors: ClarityGroup


class ClarityChange(BaseModel):
    group: Literal["individual_contributors", "everyone"]
    from_survey: str
    to_survey: str
    change_pp: PointsChange
    direction: Literal["clearer", "less clear", "no clear change"]
    """'clearer' only when the whole interval is above 0, 'less clear' when below."""


class ClarityTrend(BaseModel):
    question: str
    series: str | None
    points: list[ClarityPoint]
    """One per pulse of the survey's series up to the period's end, oldest first."""
    change: ClarityChange | None
    """First pulse to last, when the group is shown in both."""
    benchmark: str | None
    """The question's published figure with its source; None while none is confirmed."""


class CommitmentsSection(BaseModel):
    """Statements of what stays the same beside the job-security-clarity answers.

    Side by side, not cause and effect: the report says so in words.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    period_from: dt.date
    period_to: dt.date
    statements: list[StatementOut]
    """Statements in scope in force at the period's end, worded as they were then."""
    made_in_period: int
    retired_in_period: int
    since: dt.date | None
    """Monday of the first week with published answers of the trend's first pulse (from its
    first release), the baseline for `made_since`."""
    made_since: int
    review_due: int
    """Statements in force whose review date is on or before the period's end."""
    clarity: ClarityTrend | None
    summary: str
