"""What enters (one anonymous log entry) and what leaves (gate-cleared aggregates) the
friction audit."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gaplens.friction.figures import use_case_label
from gaplens.i18n import N_
from gaplens.stats.intervals import Estimate

MAX_MINUTES = 24 * 60
"""A single output cannot cost or save more than a day; larger numbers are typos."""
BACKDATE_DAYS = 31


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Outcome(StrEnum):
    KEPT = "kept"
    FIXED = "fixed"
    DISCARDED = "discarded"


SEVERITY_LABELS = {
    Severity.LOW: N_("Low — a small nuisance"),
    Severity.MEDIUM: N_("Medium — cost real time"),
    Severity.HIGH: N_("High — wrong in a way that mattered"),
}
OUTCOME_LABELS = {
    Outcome.KEPT: N_("Kept it as it was"),
    Outcome.FIXED: N_("Fixed it, then used it"),
    Outcome.DISCARDED: N_("Threw it away"),
}


class FrictionEntryIn(BaseModel):
    """One AI output, as its user logs it. Nothing here says who logged it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    use_case: str = Field(min_length=2, max_length=100)
    tool: str = Field(min_length=1, max_length=100)
    minutes_correcting: int = Field(ge=0, le=MAX_MINUTES)
    minutes_saved: int | None = Field(default=None, ge=0, le=MAX_MINUTES)
    """Self-reported: how long the work would have taken without the AI, minus with it."""
    severity: Severity
    outcome: Outcome
    team: str | None = Field(default=None, max_length=100)
    """A team key; optional, since a small team narrows who could have logged it."""
    note: str | None = Field(default=None, max_length=2000)
    day: dt.date | None = None
    """Defaults to today; never a time of day."""

    @field_validator("use_case", "tool")
    @classmethod
    def _collapse(cls, value: str) -> str:
        return use_case_label(value)

    @field_validator("team", "note")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class Logged(BaseModel):
    status: str = "logged"


class Interval(BaseModel):
    value: float
    low: float
    high: float

    @classmethod
    def of(cls, estimate: Estimate | None) -> Interval | None:
        if estimate is None:
            return None
        return cls(value=estimate.value, low=estimate.low, high=estimate.high)


class Minutes(BaseModel):
    """Sums over the released groups of a cell; a group whose entries all gave one figure
    publishes no sum (it would tell each of them), so each sum says over how many outputs."""

    lost: int | None
    """Minutes spent correcting AI output, over `lost_n` outputs; None if no group has it."""
    lost_n: int
    saved_self_reported: int | None
    """Minutes people say the AI saved them, over `saved_n` outputs: kept and fixed outputs
    only (a discarded output's claim does not count; no figure counts as none)."""
    saved_n: int
    net_n: int
    """Outputs in groups that publish both sums."""
    net_per_output: float | None
    """(saved - lost) / net_n; None when no group publishes both."""


class TrendPoint(BaseModel):
    month: str
    """A published month: the ISO weeks whose Thursday falls in it."""
    n: int
    correction_rate: Interval
    change: Interval | None
    flag: str | None


class TeamFigure(BaseModel):
    team: str
    n: int
    correction_rate: Interval


class UseCaseFriction(BaseModel):
    key: str
    label: str
    n: int
    corrected: int
    correction_rate: Interval
    minutes: Minutes
    trend: list[TrendPoint]
    trend_flag: str | None
    """The latest month-on-month change, when it is beyond its Newcombe interval."""
    teams: list[TeamFigure]
    """Groups published with a team: that team's entries and those of its subteams not
    published on their own."""
    notes: list[str] = Field(default_factory=list)
    """Why some figures of this use case are not shown, in plain words."""


class FrictionSummary(BaseModel):
    period_from: dt.date
    period_to: dt.date
    """Whole published months (runs of ISO weeks); the requested months snap to them."""
    scope: str | None
    total: int
    min_group_size: int
    use_cases: list[UseCaseFriction]
    other_use_cases: int
    """Entries of use cases too small to show alone, published together by quarter."""
    release: int | None
    released_through: dt.date | None
    notes: list[str] = Field(default_factory=list)
