"""Pydantic models for wins that leave the process: API bodies, pages and the report."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gaplens.criteria.measure import Method
from gaplens.criteria.schemas import Day, ScopeOut
from gaplens.metrics.schemas import MetricDefinition, MetricFigure


class WinIn(BaseModel):
    """A win. With a metric, its numbers are read from the measured release for the scope and
    the month ends of its periods; without one it is kept, labelled self-reported."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    source: str = Field(
        min_length=1, max_length=500, description="Where the evidence comes from: text or URL."
    )
    metric: str | None = Field(None, max_length=64, description="A key of GET /api/v1/metrics.")
    method: Method = "current_vs_baseline"
    team: str | None = Field(None, max_length=100)
    function: str | None = Field(None, max_length=100)
    after_start: Day | None = Field(None, description="First day of the period of the win.")
    after_end: Day | None = Field(None, description="Last day of the period of the win.")
    before_start: Day | None = Field(
        None, description="Baseline period (default: as long as the period, right before it)."
    )
    before_end: Day | None = None


Verdict = Literal["improved", "no_clear_change", "worsened"]


class WinEvidence(BaseModel):
    """The win's numbers, read from the measured release when the win is read."""

    model_config = ConfigDict(frozen=True)

    before: MetricFigure
    """The scope's released current value (the 90 days to `before_month_end`)."""
    before_month_end: dt.date | None = None
    """The released month end at or before the before period's end (None: none yet)."""
    figure: MetricFigure
    """The released figure the method reads, of `month_end`."""
    month_end: dt.date | None = None
    """The released month end at or before the win's end, inside its period (None: none
    yet, and no figure)."""
    change: MetricFigure
    """The change in the metric's unit with its 95% interval (or why there is none)."""
    relative: tuple[float, float, float] | None = None
    """The change as a fraction of the before value: estimate, low, high."""
    verdict: Verdict | None = None
    """improved / worsened when the whole interval lies on one side of no change."""
    verdict_text: str


class WinOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    title: str
    description: str | None
    source: str
    self_reported: bool
    metric: MetricDefinition | None
    method: Method | None
    method_label: str | None
    scope: ScopeOut
    before_start: dt.date | None
    before_end: dt.date | None
    after_start: dt.date
    after_end: dt.date
    created_by: str
    created_at: dt.datetime
    evidence: WinEvidence | None
    """None for a self-reported win."""


class WinsSection(BaseModel):
    """The report's what's-working part: wins of the scope in the period, with their numbers."""

    model_config = ConfigDict(frozen=True)

    period_start: dt.date
    period_end: dt.date
    wins: list[WinOut]
