"""The report document: the stable JSON contract (docs/report-json.md) that HTML and PDF render.

Every figure carries its n and interval, or a status saying why there is no number. Only
values that passed the privacy gate are ever placed in these models.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from gaplens.criteria.schemas import CriteriaSection
from gaplens.metrics.schemas import MetricOverview
from gaplens.realities.schemas import ThreeRealities
from gaplens.reflections.schemas import ReflectionsSummary
from gaplens.wins.schemas import WinsSection

REPORT_SCHEMA_VERSION = "1.0"


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
    mean: float


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


class CommentsOut(Model):
    status: FigureStatus
    n: int | None = None
    comments: list[dict[str, str]] = Field(default_factory=list)
    """Shuffled, month-only: [{"text": ..., "month": "2026-03"}]."""


class SurveyInfo(Model):
    name: str
    bank_version: int
    responses: int
    first_day: dt.date | None
    last_day: dt.date | None


class PrivacyInfo(Model):
    min_group_size: int
    min_comment_group_size: int
    rules: list[str]


class Headline(Model):
    """The sentences a leader reads first, each backed by a figure in `perception`."""

    statements: list[str]
    exec_ic_impact_gap: Comparison | None = None


class MeasuredReality(Model):
    """The third reality: workflow and usage data beside the two perceptions."""

    as_of: dt.date
    realities: ThreeRealities
    adoption_headline: str | None
    """"Dashboard says X% adoption, integration is Y%" (the adoption funnel)."""
    working_use_cases: list[str]
    friction_use_cases: list[str]
    metrics: list[MetricOverview] = Field(default_factory=list)
    """Every registry metric for the whole organisation (docs/metrics.md)."""


class ReportDocument(Model):
    schema_version: str = REPORT_SCHEMA_VERSION
    title: str
    organisation: str
    generated_on: dt.date
    survey: SurveyInfo
    privacy: PrivacyInfo
    group_order: list[str]
    headline: Headline
    perception: dict[str, QuestionFigures]
    comments: CommentsOut
    method_notes: list[str]
    measured: MeasuredReality | None = None
    """None when no usage or workflow data has been imported."""
    reflections: ReflectionsSummary | None = None
    """Reflection loops (capability 11); None when no reflection was ever scheduled."""
    criteria: CriteriaSection | None = None
    """Success criteria active in the period with their computed status; None without any."""
    wins: WinsSection | None = None
    """The what's-working log for the period, with each win's numbers; None without any."""
