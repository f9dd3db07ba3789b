"""The report document: the stable JSON contract (docs/report-json.md) that HTML and PDF render.

Every figure carries its n and interval, or a status saying why there is no number. Only
values that passed the privacy gate are ever placed in these models.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from gaplens.actions.schemas import ActionsSection
from gaplens.adoption.schemas import (
    AdoptionSection as AdoptionSection,
)
from gaplens.adoption.schemas import (
    FunnelStage as FunnelStage,
)
from gaplens.commitments.schemas import CommitmentsSection
from gaplens.costs.schemas import (
    CostInputInfo as CostInputInfo,
)
from gaplens.costs.schemas import (
    CostSection as CostSection,
)
from gaplens.costs.schemas import (
    SeatLine as SeatLine,
)
from gaplens.costs.schemas import (
    SpendBounds as SpendBounds,
)
from gaplens.costs.schemas import (
    TimeFigure as TimeFigure,
)
from gaplens.criteria.schemas import CriteriaSection
from gaplens.drivers.schemas import DriversSection
from gaplens.figures import (
    Basis as Basis,
)
from gaplens.figures import (
    BenchmarkOut as BenchmarkOut,
)
from gaplens.figures import (
    Comparison as Comparison,
)
from gaplens.figures import (
    FigureStatus as FigureStatus,
)
from gaplens.figures import (
    GroupFigures as GroupFigures,
)
from gaplens.figures import (
    Interval as Interval,
)
from gaplens.figures import (
    Model as Model,
)
from gaplens.figures import (
    NumberSummary as NumberSummary,
)
from gaplens.figures import (
    QuestionFigures as QuestionFigures,
)
from gaplens.figures import (
    Share as Share,
)
from gaplens.metrics.schemas import MetricOverview, StabilityCheck
from gaplens.modelling.schemas import ModellingSection
from gaplens.realities.schemas import Calibration, ThreeRealities
from gaplens.reflections.schemas import ReflectionsSummary
from gaplens.scorecard.schemas import (
    EvidenceItem as EvidenceItem,
)
from gaplens.scorecard.schemas import (
    UseCaseOut as UseCaseOut,
)
from gaplens.scorecard.schemas import (
    UseCasesSection as UseCasesSection,
)
from gaplens.tasks.schemas import TaskMapSection
from gaplens.wins.schemas import WinsSection

REPORT_SCHEMA_VERSION = "2.6"


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
    """A labelled breakdown: executives alone minus individual contributors. It carries no
    published benchmark (the brief's 38-point figure has no confirmed source and year)."""
    gap: Comparison | None = None
    """The one gap (gaplens/perception/gap.py): leaders (executives and managers) minus
    individual contributors, any gains, for the report's survey and scope."""


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
    calibration: list[Calibration] = Field(default_factory=list)
    """Perceived beside measured speed-up per AI-tenure band: the organisation and each
    function measured (or the report's own scope), docs/metrics.md."""


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


class BriefGap(Model):
    """The one gap (gaplens/report/brief.py): leaders (executives and managers) minus the
    frontline (individual contributors), share reporting high or some gains, latest pulse."""

    definition: str
    survey: str | None = None
    value: Interval | None = None
    leaders_n: int | None = None
    frontline_n: int | None = None
    previous_survey: str | None = None
    previous: Interval | None = None
    change: Interval | None = None
    direction: str


class BriefReality(Model):
    """The three realities for the report's scope: perceived speed-up (%) of leaders
    (executives and managers) and of the frontline beside the measured one."""

    measure: str
    executives: Interval | None
    """Executives alone (a breakdown of the leaders; the brief shows `leaders`)."""
    executives_n: int | None
    frontline: Interval | None
    frontline_n: int | None
    measured: Interval | None
    reason: str | None = None
    stability: StabilityCheck | None = None
    """The measured speed-up's counter-metrics and verdict (the realities row's)."""
    leaders: Interval | None = None
    """Leaders (executives and managers): the realities' row, the same group as the gap."""
    leaders_n: int | None = None


class BriefAdoption(Model):
    as_of: dt.date
    licensed: int | None
    active: Share | None
    """Active in the last 28 days, of the licensed: what a vendor dashboard calls adoption."""
    integrated: Share | None
    integrated_n: int


class BriefCost(Model):
    """Licence spend per month per person with AI integrated into their work; low == high
    unless the spend is a range (CostSection.spend_bounds)."""

    currency: str
    low: float
    high: float
    integrated: int
    months: float
    basis: str


class BriefResponse(Model):
    answered: int | None
    """Released respondents (None below the threshold), or invitations used as shown."""
    of: int | None
    """Invitations sent, or people in the scope's directory."""
    basis: Literal["invitations", "directory"]
    at_least: bool = False
    """True for invitations: "at least N of M" (privacy.participation_shown)."""


class Brief(Model):
    """The report's first two pages, every figure taken from the document below it."""

    finding: str
    """One sentence, generated by rules from this scope's and period's figures."""
    leaders: str
    """Who "leaders" and "the frontline" are, defined once for the whole report."""
    gap: BriefGap | None
    reality: BriefReality | None
    adoption: BriefAdoption | None
    cost: BriefCost | None
    working: list[str]
    friction: list[str]
    response: BriefResponse
    next_steps: list[str]
    """The titles of the first three next steps, in priority order."""


class HeatmapCell(Model):
    """One measure for one row, beside the organisation's value for the same measure."""

    measure: str
    """'gap', 'adoption', 'integration', 'friction' or 'metric_change'."""
    value: float | None = None
    """In percent (adoption, integration, friction, metric change) or percentage points
    (gap); None when hidden, and `reason` says why."""
    low: float | None = None
    high: float | None = None
    n: int | None = None
    organisation: float | None = None
    comparison: Literal["better", "worse", "similar"] | None = None
    """Against the organisation's value, only where the row's own interval excludes it
    ('similar' when it does not); None for the organisation's row or without an interval."""
    reason: str | None = None


class HeatmapRow(Model):
    kind: Literal["organisation", "team"]
    key: str | None
    """The team's key (its report is `scope=team:KEY`); None for the organisation."""
    name: str
    includes: list[str] = Field(default_factory=list)
    """Names of the teams below it, whose people and answers it counts too."""
    cells: list[HeatmapCell]


class HeatmapColumn(Model):
    measure: str
    label: str
    unit: Literal["pp", "%"]
    better: Literal["lower", "higher"]
    definition: str


class Heatmap(Model):
    """Each team against the organisation on five measures, every figure from releases."""

    columns: list[HeatmapColumn]
    rows: list[HeatmapRow]
    notes: list[str] = Field(default_factory=list)


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
    drivers: DriversSection | None = None
    """What goes with the gap here (gaplens/drivers/): relative importance across people and
    across teams, as association; None when no survey is released by the period's end."""
    modelling: ModellingSection | None = None
    """Leadership modelling: leaders' posts in the period; None when no leader has posted."""
    commitments: CommitmentsSection | None = None
    """What stays the same, beside job-security clarity per pulse; None when neither exists."""
    criteria: CriteriaSection | None = None
    """Success criteria active in the period with their computed status; None without any."""
    wins: WinsSection | None = None
    """The what's-working log for the period, with each win's numbers; None without any."""
    actions: ActionsSection | None = None
    """What happened to the last steps: the scope's action plan (docs/actions.md); None
    when the scope's plan holds no step of an earlier period or of this one."""
    # Sections of capabilities 9-14 go here: one optional field each, rendered by
    # templates/sections/<area>.html.j2 (see docs/report-json.md, "Adding a section").
    next_steps: NextSteps | None = None
    """Built last, by gaplens/report/next_steps.py, from everything above."""
    heatmap: Heatmap | None = None
    """Each team against the organisation on five measures (gaplens/report/heatmap.py);
    None in documents older than 2.3."""
    brief: Brief | None = None
    """The first two pages (gaplens/report/brief.py), from the figures above; None only in
    documents older than 2.2."""
