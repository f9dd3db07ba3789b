"""Pydantic models for metric figures that leave the process (API responses, the report).

Every figure carries the persons behind it (`n`, per group) and its interval, or says
`not_enough_data` and why; a group below the privacy threshold never gets a number or a count.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gaplens.metrics.definitions import Metric


class MetricDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    unit: str
    better: Literal["lower", "higher"]
    summary: Literal["mean", "median"]
    definition: str
    data_needed: str
    kind: Literal["speed", "stability", "usage"] | None = None
    """None in releases built before metrics declared their kind."""
    counter_metrics: tuple[str, ...] = ()
    """For a speed metric: the stability metrics shown beside it (docs/metrics.md)."""

    @classmethod
    def of(cls, metric: Metric) -> MetricDefinition:
        return cls(
            key=metric.key,
            label=metric.label,
            unit=metric.unit,
            better=metric.better,
            summary=metric.summary,
            definition=metric.definition,
            data_needed=metric.data_needed,
            kind=metric.kind,
            counter_metrics=metric.counter_metrics,
        )


class MetricScope(BaseModel):
    """Whom a figure is about: an organisation, narrowed to a team (with the teams below it)
    and/or a function."""

    model_config = ConfigDict(frozen=True)

    organisation_id: int
    team_id: int | None = None
    function: str | None = None


class MetricFigure(BaseModel):
    """One number with its interval and the persons behind it, or the reason there is none.

    `n` maps each group to its persons (e.g. {"ai_users": 40, "non_users": 25}); `parts`
    holds the group figures the number is built from (e.g. each group's mean before and
    after), only when every group is large enough to be shown.
    """

    model_config = ConfigDict(frozen=True)

    method: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: float = 0.95
    n: dict[str, int] = Field(default_factory=dict)
    parts: dict[str, float] = Field(default_factory=dict)
    not_enough_data: str | None = None

    @model_validator(mode="after")
    def _number_or_reason(self) -> MetricFigure:
        has_number = self.value is not None and self.low is not None and self.high is not None
        if has_number == (self.not_enough_data is not None):
            raise ValueError("a figure has either a value with its interval or a reason")
        return self

    @property
    def shown(self) -> bool:
        return self.not_enough_data is None

    @classmethod
    def missing(cls, method: str, reason: str) -> MetricFigure:
        return cls(method=method, not_enough_data=reason)


class UsageLevels(BaseModel):
    """Persons per AI-usage level; a level with too few persons (or whose size could be
    derived from the others) has count None."""

    model_config = ConfigDict(frozen=True)

    cut_points: tuple[float, float, float]
    counts: dict[str, int | None]
    n: int


class MetricOverview(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: MetricDefinition
    scope: MetricScope
    as_of: dt.date
    window_days: int
    ramp_days: int
    tenure_months: int
    current: MetricFigure
    before_after: MetricFigure
    users_vs_non_users: MetricFigure
    by_tenure: MetricFigure
    levels: UsageLevels | None = None
    staggered: StaggeredFigures | None = None
    """The staggered-adoption estimate (the API adds it from the release; None: not
    published for this metric or scope)."""
    stability: StabilityCheck | None = None
    """For a speed metric: its counter-metrics' effects from the same release and the same
    estimator, with a verdict in words (readers add it; docs/metrics.md)."""


class TeamFigure(BaseModel):
    """One team's row of a breakdown; `current` is None when the team is suppressed."""

    model_config = ConfigDict(frozen=True)

    team_id: int
    team_key: str
    team_name: str
    current: MetricFigure | None
    suppressed: bool


class TeamBreakdown(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: MetricDefinition
    scope: MetricScope
    as_of: dt.date
    window_days: int
    total: MetricFigure
    teams: list[TeamFigure]


class StaggeredEffect(BaseModel):
    """One effect of AI on the metric (in its unit), with its 95% bootstrap interval.

    `key`: months since adoption (event study, negative = before), or the cohort's first
    month ("2025-03", by cohort); None for the overall effect."""

    model_config = ConfigDict(frozen=True)

    key: int | str | None = None
    estimate: float
    low: float
    high: float
    n: int | None = None
    """By cohort: the cohort's persons."""


class StaggeredCell(BaseModel):
    """ATT(g, t): cohort `cohort`'s change from `base_month` to `month`, minus the change of
    people not yet using AI over the same two months. Published once, never changed."""

    model_config = ConfigDict(frozen=True)

    cohort: str
    month: str
    base_month: str
    months_since_adoption: int
    estimate: float
    n_treated: int
    n_control: int


class TenureSpeedUp(BaseModel):
    """The speed-up of adopters who had used AI for `first_month` to `last_month` months
    (None: no end) since their adoption month: the effect over the published cells at
    those months as a share of the adopters' level without AI there (both bootstrapped
    together), for the survey's AI-tenure band `band`. `n`: adopters in those cells."""

    model_config = ConfigDict(frozen=True)

    band: str
    first_month: int
    last_month: int | None
    estimate: float
    low: float
    high: float
    n: int


class StaggeredFigures(BaseModel):
    """The staggered-adoption estimate of AI's effect on one metric for one scope, as
    released for a month end (docs/metrics.md, "Staggered adoption")."""

    model_config = ConfigDict(frozen=True)

    method: str
    as_of: dt.date
    overall: StaggeredEffect | None = None
    event_study: list[StaggeredEffect] = Field(default_factory=list)
    by_cohort: list[StaggeredEffect] = Field(default_factory=list)
    pre_trends: Literal["none_detected", "diverging", "untestable"] | None = None
    pre_trend_sentence: str | None = None
    pre_trend_p_value: float | None = None
    speed_up: StaggeredEffect | None = None
    """The overall effect over the adopters' level without AI (both bootstrapped)."""
    speed_up_by_tenure: list[TenureSpeedUp] = Field(default_factory=list)
    """The speed-up per AI-tenure band (a band with no published cell is left out)."""
    n: dict[str, int] = Field(default_factory=dict)
    cells: list[StaggeredCell] = Field(default_factory=list)
    withheld_cells: int = 0
    resamples: int = 0
    not_enough_data: str | None = None
    adoption_sources: dict[str, int | None] = Field(default_factory=dict)
    """Adopters in a published cell by where their adoption date came from: "directory"
    or "telemetry" (first sustained use); None: fewer than k, not shown."""


Direction = Literal["better", "worse", "unclear"]
"""Where a 95% interval of an effect lies: wholly on the better side of zero, wholly on the
worse side, or across zero (no clear change)."""


class CounterFigure(BaseModel):
    """One counter-metric's effect of AI beside a speed figure, or why there is none."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    unit: str
    better: Literal["lower", "higher"]
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    direction: Direction | None = None
    not_enough_data: str | None = None


class StabilityCheck(BaseModel):
    """A speed figure's stability beside it: the counter-metrics' effects from the same
    release and estimator ("staggered" or "users_vs_non_users"), and a plain verdict that
    calls a change only when its interval leaves zero out."""

    model_config = ConfigDict(frozen=True)

    method: Literal["staggered", "users_vs_non_users"]
    speed: Direction
    counters: list[CounterFigure]
    verdict: str


MetricOverview.model_rebuild()
