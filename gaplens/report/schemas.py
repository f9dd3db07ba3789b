"""The report document: the stable JSON contract (docs/report-json.md) that HTML and PDF render.

Every figure carries its n and interval, or a status saying why there is no number. Only
values that passed the privacy gate are ever placed in these models.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gaplens.commitments.schemas import CommitmentsSection
from gaplens.criteria.schemas import CriteriaSection
from gaplens.metrics.schemas import MetricOverview
from gaplens.modelling.schemas import ModellingSection
from gaplens.realities.schemas import ThreeRealities
from gaplens.reflections.schemas import ReflectionsSummary
from gaplens.tasks.schemas import TaskMapSection
from gaplens.wins.schemas import WinsSection

REPORT_SCHEMA_VERSION = "2.1"


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


class CommentsOut(Model):
    status: FigureStatus
    n: int | None = None
    comments: list[dict[str, str]] = Field(default_factory=list)
    """Shuffled, month-only: [{"text": ..., "month": "2026-03"}]."""


class SurveyInfo(Model):
    name: str
    bank_version: int
    responses: int | None
    """Responses in the report's scope; None when fewer than the privacy threshold."""
    answers_through: dt.date | None
    """The day the survey's latest release's answers run through (the end of a week, or the
    day before the build): None without a release. No answer's own day is ever given."""


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


class ScopeInfo(Model):
    """Whom the report is about (gaplens/report/scope.py)."""

    kind: Literal["organisation", "function", "team"]
    key: str | None = None
    """The function's name or the team's key; None for the organisation."""
    name: str
    includes: list[str] = Field(default_factory=list)
    """A team scope's teams below it, whose people and responses count too."""
    notes: list[str] = Field(default_factory=list)
    """How each kind of data is narrowed to the scope, in words."""


class PulseInfo(Model):
    name: str
    answers_through: dt.date | None
    """The day its latest release's answers run through: the day it closed for reports."""


class PeriodInfo(Model):
    label: str
    start: dt.date
    end: dt.date
    named: bool
    """False when no period was asked for (the default: the last 12 months of data)."""
    pulses: list[PulseInfo]
    """Pulses that closed in the period, oldest first; the report reads the latest."""
    data_as_of: dt.date | None
    """Last day the measured figures use: the period's end or the last imported day."""
    rules: list[str]


class TrendPulse(Model):
    survey: str
    answers_through: dt.date | None
    """The day the pulse's latest release's answers run through."""
    in_period: bool
    status: str
    """A FigureStatus value, or 'refused' (too close to a set this viewer already saw)."""
    gap_pp: Interval | None = None
    leaders_n: int | None = None
    frontline_n: int | None = None


class GapTrend(Model):
    """The leader-frontline gap per pulse of the survey's series (gaplens/perception/trend.py)."""

    series: str | None
    question: str
    points: list[TrendPulse]
    change_pp: Interval | None = None
    """Latest pulse minus the one before (MOVER interval)."""
    direction: str
    """'widening' or 'narrowing' only when the change's interval excludes 0; otherwise
    'no clear change' or 'not enough data'."""
    method: str


class FunnelStage(Model):
    stage: str
    label: str
    n: int
    share_of_licensed: Share | None
    share_of_previous: Share | None
    trained: int | None
    """On the licensed stage only (counted over whole released groups); None elsewhere."""
    certified: int | None


class AdoptionSection(Model):
    """Performative vs real adoption for the scope (gaplens/adoption/service.py)."""

    as_of: dt.date
    status: FigureStatus
    licensed: int | None = None
    stages: list[FunnelStage] = Field(default_factory=list)
    headline: str
    definitions: list[str] = Field(default_factory=list)


class EvidenceItem(Model):
    source: str
    """friction_log, feedback or telemetry."""
    measure: str
    n: int | None
    value: float | None
    low: float | None
    high: float | None
    lean: str
    text: str


class UseCaseOut(Model):
    key: str
    label: str
    status: str
    """working, friction or unknown."""
    reason: str
    evidence: list[EvidenceItem]


class UseCasesSection(Model):
    """What works and what creates friction (gaplens/scorecard): the clearest cases, each
    with the evidence and n behind its class."""

    period_from: dt.date
    period_to: dt.date
    working: list[UseCaseOut]
    friction: list[UseCaseOut]
    unknown: int
    """Use cases named but not clearly either."""
    withheld: int
    """Logged outputs published only in groups of any use case (their use case had too few
    entries to be named alone)."""
    rules: list[str]
    notes: list[str] = Field(default_factory=list)


class Basis(StrEnum):
    MEASURED = "measured"
    """From records made as the work happened: exports, work items, the friction log."""
    SELF_REPORTED = "self_reported"
    """What people say: survey answers, estimates of minutes saved."""
    ASSUMPTION = "assumption"
    """An input the report is given: prices, the loaded hourly cost."""


class CostInputInfo(Model):
    key: str
    label: str
    unit: str
    amount: float
    basis: Basis = Basis.ASSUMPTION
    is_default: bool
    source: str


class SeatLine(Model):
    """Holders of one tool (a person holding both exported tools is on both lines): seats
    and seat-months measured, from the adoption release's tool counts; the price an
    assumption."""

    label: str
    tools: list[str]
    """The one tool of the line."""
    seats: int | None
    """Holders at the last released month end; None: not released for this scope then."""
    seat_months: float | None
    """Holders summed over the released month ends in the period (each counts one month);
    None when any of them does not release this tool's count for the scope."""
    price_per_month: float | None
    spend: float | None
    """seat_months x price; None when seat_months is."""


class TimeFigure(Model):
    key: str
    label: str
    basis: Basis
    unit: str
    status: FigureStatus
    n: int | None = None
    value: Interval | None = None
    money_per_person_month: Interval | None = None
    """Value at the loaded hourly cost (an assumption), per licensed person per month."""
    total_hours: float | None = None
    """Hours summed over every logged output (friction log only)."""
    total_value: float | None = None
    """Those hours at the loaded hourly cost (an assumption)."""
    note: str = ""


class SpendBounds(Model):
    low: float
    high: float


class CostSection(Model):
    """AI spend beside time, every figure labelled measured, self-reported or assumption."""

    currency: str
    status: FigureStatus
    period_months: float
    inputs: list[CostInputInfo]
    licensed: int | None = None
    """Licensed people at the last released month end in the period."""
    month_ends: list[dt.date] = Field(default_factory=list)
    """The released month ends in the period: each counts one month of seats."""
    seat_months: float | None = None
    """Licensed people summed over `month_ends`."""
    seats: list[SeatLine] = Field(default_factory=list)
    spend: float | None = None
    """None when a tool's count is not released for the scope in some month (`reason`)."""
    spend_bounds: SpendBounds | None = None
    """When `spend` is not released: the lowest and highest spend the released counts
    allow (each licensed person holds at least one tool; a count not released lies between
    0 and the licensed), at the assumed prices."""
    spend_per_seat_month: float | None = None
    break_even_hours_per_week: float | None = None
    """Hours a seat must save per person per week to pay for itself at the hourly cost."""
    reason: str | None = None
    """Why seats are not shown, or why the spend is not released, in plain words."""
    time: list[TimeFigure] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class NextStep(Model):
    rule: str
    """The rule's id (docs/next-steps.md)."""
    priority: int
    title: str
    action: str
    evidence: list[str]
    """The gate-cleared figures that triggered the rule, in words."""
    section: str
    """The document field the evidence comes from."""


class NextSteps(Model):
    steps: list[NextStep]
    framing: str
    rules: list[str]
    """Every rule that was evaluated, by id, triggered or not."""


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
    scope: ScopeInfo | None = None
    """None in documents of schema 1.0: the organisation."""
    period: PeriodInfo | None = None
    gap_trend: GapTrend | None = None
    adoption: AdoptionSection | None = None
    use_cases: UseCasesSection | None = None
    cost: CostSection | None = None
    reflections: ReflectionsSummary | None = None
    """Reflection loops (capability 11); None when no reflection was ever scheduled."""
    tasks: TaskMapSection | None = None
    """The task preference map (docs/tasks.md); None without a round answered in the period."""
    modelling: ModellingSection | None = None
    """Leadership modelling: leaders' posts in the period; None when no leader has posted."""
    commitments: CommitmentsSection | None = None
    """What stays the same, beside job-security clarity per pulse; None when neither exists."""
    criteria: CriteriaSection | None = None
    """Success criteria active in the period with their computed status; None without any."""
    wins: WinsSection | None = None
    """The what's-working log for the period, with each win's numbers; None without any."""
    # Sections of capabilities 9-14 go here: one optional field each, rendered by
    # templates/sections/<area>.html.j2 (see docs/report-json.md, "Adding a section").
    next_steps: NextSteps | None = None
    """Built last, by gaplens/report/next_steps.py, from everything above."""
