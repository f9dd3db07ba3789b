"""Pydantic models for success criteria that leave the process: API bodies, pages, report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from gaplens.criteria.measure import Method
from gaplens.criteria.rules import Status, TargetKind
from gaplens.metrics.schemas import MetricDefinition, MetricFigure

ScopeKind = Literal["organisation", "function", "team"]
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
"""Dates outside these are typing errors (and would overflow date arithmetic)."""
Day = Annotated[dt.date, Field(ge=EARLIEST, le=LATEST)]


class CriterionIn(BaseModel):
    """A new success criterion. The baseline is read from the measured release (the current
    value of the last month end before the phase start), never given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phase_name: str = Field(min_length=1, max_length=200, description="The rollout phase.")
    phase_start: Day
    metric: str = Field(min_length=1, max_length=64, description="A key of GET /api/v1/metrics.")
    team: str | None = Field(None, max_length=100, description="A team key (with sub-teams).")
    function: str | None = Field(None, max_length=100, description="A function name.")
    target_kind: TargetKind = Field(
        description="'value': a level in the metric's unit; 'relative': a % change."
    )
    target: float = Field(
        description="The level (e.g. 3.2 days), or the change in percent (e.g. -15)."
    )
    method: Method = "current_vs_baseline"
    review_date: Day | None = Field(None, description="Default: phase start + 90 days.")
    baseline_days: int = Field(
        90,
        ge=14,
        le=365,
        description=(
            "Kept for earlier clients; figures are the measured release's, whose current "
            "value always covers the 90 days to a month end."
        ),
    )
    description: str | None = Field(None, max_length=2000)


class CriterionEdit(BaseModel):
    """Fields to change; a field sent as null is cleared (team or function -> organisation).
    After the phase has started a reason is required and the revision is shown to everyone."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phase_name: str | None = Field(None, min_length=1, max_length=200)
    phase_start: Day | None = None
    metric: str | None = Field(None, min_length=1, max_length=64)
    team: str | None = Field(None, max_length=100)
    function: str | None = Field(None, max_length=100)
    target_kind: TargetKind | None = None
    target: float | None = None
    method: Method | None = None
    review_date: Day | None = None
    baseline_days: int | None = Field(None, ge=14, le=365)
    description: str | None = Field(None, max_length=2000)
    recompute_baseline: bool = Field(
        False,
        description=(
            "Record the baseline as the release gives it now (e.g. its month end was "
            "released since); an edit always reads it again."
        ),
    )
    reason: str | None = Field(None, max_length=2000)


class Retirement(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000)


class ScopeOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ScopeKind
    label: str
    team: str | None = None
    function: str | None = None


class RevisionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    at: dt.datetime
    actor: str
    kind: Literal["created", "edited", "retired"]
    after_start: bool
    reason: str | None
    changes: dict[str, list[str | None]]
    """Field -> [old, new] as shown on the page."""


class StatusOut(BaseModel):
    """The computed status: never stored, recomputed from the data on every read."""

    model_config = ConfigDict(frozen=True)

    status: Status
    label: str
    rule: str
    """The rule that decided (docs/success-criteria.md)."""
    as_of: dt.date | None
    """The released month end the status is judged on (the latest at or before the review
    date and today); None when none is released yet."""
    final: bool
    """True once the review date has passed and the last month end before it is released."""
    data_through: dt.date | None
    """The latest month end the measured release covers (None: nothing released yet)."""
    window_start: dt.date | None = None
    """First day of the released current value's window (current value vs baseline)."""
    figure: MetricFigure | None = None
    """The released figure the method reads, of the month end `as_of`."""
    change: MetricFigure | None = None
    """The measured change from the baseline in the metric's unit, with its interval."""
    relative: tuple[float, float, float] | None = None
    """The change as a fraction of the baseline: estimate, low, high."""


class CriterionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    phase_name: str
    phase_start: dt.date
    metric: MetricDefinition
    scope: ScopeOut
    method: Method
    method_label: str
    method_note: str
    baseline_start: dt.date
    baseline_end: dt.date
    """The released month end the baseline is read from (the last one before the phase)."""
    baseline: MetricFigure
    """The released current value of the 90 days to `baseline_end`, or why there is none."""
    target_kind: TargetKind
    target: float
    """As entered: the level, or the change in percent."""
    target_text: str
    target_level: float | None
    """The level the target means (baseline + required change)."""
    target_change: float | None
    review_date: dt.date
    description: str | None
    created_by: str
    created_at: dt.datetime
    defined_after_start: bool
    """Defined on or after the phase start: the target was set knowing early results."""
    retired: bool
    retired_at: dt.datetime | None = None
    retired_by: str | None = None
    retired_reason: str | None = None
    revisions: list[RevisionOut]
    edits: int
    """Revisions after the creation (edits and retirement)."""
    edits_after_start: int
    status: StatusOut | None
    """None only for a retired criterion."""


class CriteriaSection(BaseModel):
    """The report's success-criteria part: every criterion active in the period."""

    model_config = ConfigDict(frozen=True)

    period_start: dt.date
    period_end: dt.date
    criteria: list[CriterionOut]
    retired: list[CriterionOut]
    rules: list[str]
