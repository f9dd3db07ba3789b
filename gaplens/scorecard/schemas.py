"""What leaves the process about the scorecard: classes, evidence and n, all sums of
published friction and feedback classes (the same for every viewer)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from gaplens.figures import Model


class EvidenceOut(BaseModel):
    source: str
    """friction_log, feedback or telemetry."""
    measure: str
    n: int | None
    """Outputs behind the measure: a sum of published classes, each of at least k."""
    value: float | None
    low: float | None
    high: float | None
    lean: str
    text: str


class UseCaseScore(BaseModel):
    key: str
    label: str
    status: str
    """working, friction or unknown."""
    reason: str
    evidence: list[EvidenceOut]


class Scorecard(BaseModel):
    period_from: dt.date
    period_to: dt.date
    min_group_size: int
    release: int | None
    """The friction release read (its sequence number); None before the first."""
    released_through: dt.date | None
    """The last day of the last week that release holds."""
    feedback_release: int | None = None
    """The feedback release read; None before the first, or for a team (feedback carries
    no team)."""
    feedback_through: dt.date | None = None
    use_cases: list[UseCaseScore]
    other_entries: int
    """Outputs published only in groups of any use case: their use case is not named."""
    notes: list[str]
    """What is not in the figures, and why, in plain words."""
    rules: list[str]


class TopUseCases(BaseModel):
    """The few use cases a report names: what clearly works and what clearly hurts."""

    working: list[UseCaseScore]
    friction: list[UseCaseScore]


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
    """What works and what creates friction: the report's section (gaplens/scorecard/views.py),
    the clearest cases, each with the evidence and n behind its class."""

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
