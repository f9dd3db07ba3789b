"""One row per scope: what leaders and the frontline perceive, what the data measured."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from gaplens.metrics.schemas import StabilityCheck

MeasuredMethod = Literal["staggered", "users_vs_non_users"]


class Interval(BaseModel):
    """A figure with its 95% interval (kept here so the report schema can include rows)."""

    estimate: float
    low: float
    high: float


class RealityRow(BaseModel):
    scope: str
    """'Whole organisation', a function, or a team's name."""
    kind: Literal["organisation", "function", "team"] = "function"
    team_key: str | None = None
    """For a team row: its key (the row covers the team and the teams below it)."""
    measure: str
    """What the measured column is, e.g. 'cycle time (Jira)'."""
    leaders_perceived: Interval | None
    """Median perceived speed-up (%) of executives and managers; None below the threshold."""
    leaders_n: int | None
    frontline_perceived: Interval | None
    frontline_n: int | None
    measured: Interval | None
    """Measured speed-up (%), positive = faster: see `measured_method`."""
    measured_method: MeasuredMethod | None = None
    """"staggered": minus AI's effect from the staggered-adoption estimate (adopters against
    people not yet using AI over the same months) relative to the adopters' level without
    AI, the ratio bootstrapped; "users_vs_non_users": minus the difference-in-differences
    change of AI users against non-users, relative to the users' own before-adoption level
    (its interval treats that level as known). None when there is no measured figure."""
    measured_n: dict[str, int]
    stability: StabilityCheck | None = None
    """The measured speed-up's counter-metrics (reopen rate, rework cycles) from the same
    release and estimator, with a verdict in words; None without a measured figure."""
    leaders_gap: Interval | None
    """Leaders' perceived minus measured, in percentage points (MOVER interval)."""
    frontline_gap: Interval | None
    reason: str | None = None
    """Why the measured column is empty, when it is."""
    perception_refused: bool = False
    """The perceived columns were withheld: this population is too close to one the viewer
    already saw (privacy rule 3)."""


class ThreeRealities(BaseModel):
    as_of: str
    rows: list[RealityRow]
    notes: list[str]
    teams_left_out: int = 0
    """Teams without a row: too few people or respondents, or withheld (differencing)."""


class CalibrationBand(BaseModel):
    """One AI-tenure band: how much faster its people feel, how much faster the work data
    says adopters at that tenure are, and the difference (all in %, positive = faster)."""

    band: str
    """The survey's answer: '<1', '1-6' or '6+' (months of AI use)."""
    label: str
    """'under 1 month', '1 to 6 months', '6 months or more'."""
    perceived: Interval | None
    """The band's median answer to 'how much faster does AI make you (%)' (everyone)."""
    perceived_n: int | None = None
    perceived_reason: str | None = None
    measured: Interval | None
    """Minus AI's effect at those months since adoption, as a share of the adopters' level
    without AI there (the measured release's `speed_up_by_tenure`)."""
    measured_n: int | None = None
    measured_reason: str | None = None
    gap: Interval | None
    """Perceived minus measured, in percentage points, both intervals combined."""
    sentence: str
    """The band in one plain sentence (or why it cannot be said)."""


class Calibration(BaseModel):
    """Perception calibrated, for one scope (the organisation or a function)."""

    scope: str
    kind: Literal["organisation", "function", "team"] = "organisation"
    measure: str | None
    """The workflow metric measured, e.g. 'cycle time (issues)'; None when none is."""
    bands: list[CalibrationBand]
    reason: str | None = None
    """Why no band has a measured figure, when none has."""
