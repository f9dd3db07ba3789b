"""The shared figure vocabulary: what every capability's figures are made of.

A leaf module (it imports nothing of gaplens), so capabilities describe their figures with
these types without importing the report, and the report imports the capabilities' sections
without a cycle. Every figure carries its n and interval, or a status saying why there is no
number.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FigureStatus(StrEnum):
    SHOWN = "shown"
    NOT_ENOUGH_RESPONSES = "not_enough_responses"
    """Fewer respondents than the privacy threshold: no number is shown."""
    SUPPRESSED = "suppressed"
    """Enough respondents, but showing it would let a reader derive a smaller group."""
    NOT_ESTIMABLE = "not_estimable"
    """Enough data, but the statistic is undefined (e.g. a ratio with zero events)."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BenchmarkOut(Model):
    text: str
    source: str
    value: float | None = None
    population: str | None = None
    options: list[str] = Field(default_factory=list)


class Interval(Model):
    estimate: float
    low: float
    high: float
    confidence: float = 0.95


class Share(Model):
    count: int
    share: float
    low: float
    high: float


class NumberSummary(Model):
    median: Interval
    mean: float | None = None
    """None where numbers are released only as counts per bin (releases)."""


class GroupFigures(Model):
    """One question's answers within one group (a role level, or everyone)."""

    status: FigureStatus
    n: int | None = None
    shares: dict[str, Share] | None = None
    favourable: Share | None = None
    score: Interval | None = None
    """Mean 0-100 score for agree/disagree items (Microsoft's scoring)."""
    number: NumberSummary | None = None
    reason: str | None = None


class Comparison(Model):
    """A ratio or a percentage-point gap between two role levels, with its interval."""

    label: str
    status: FigureStatus
    kind: str
    """'risk_ratio' (times as likely) or 'difference_pp' (percentage points)."""
    numerator_group: str
    denominator_group: str
    option: str
    value: Interval | None = None
    benchmark: BenchmarkOut | None = None
    reason: str | None = None


class QuestionFigures(Model):
    key: str
    text: str
    scale: str
    audience: str
    options: list[str]
    unit: str | None = None
    groups: dict[str, GroupFigures]
    benchmark: BenchmarkOut | None = None
    risk_ratios: dict[str, Comparison] = Field(default_factory=dict)
    gaps_pp: dict[str, Comparison] = Field(default_factory=dict)


class Basis(StrEnum):
    MEASURED = "measured"
    """From records made as the work happened: exports, work items, the friction log."""
    SELF_REPORTED = "self_reported"
    """What people say: survey answers, estimates of minutes saved."""
    ASSUMPTION = "assumption"
    """An input the report is given: prices, the loaded hourly cost."""
