"""What leaves the process about the scorecard: classes, evidence and n, all gate-cleared."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class EvidenceOut(BaseModel):
    source: str
    """friction_log, feedback or telemetry."""
    measure: str
    n: int | None
    """None when below the threshold or withheld so a smaller group cannot be derived."""
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
    use_cases: list[UseCaseScore]
    withheld_use_cases: int
    """Use cases not named at all: too few entries and feedback items to show even the name."""
    feature_map: dict[str, str]
    rules: list[str]


class TopUseCases(BaseModel):
    """The few use cases a report names: what clearly works and what clearly hurts."""

    working: list[UseCaseScore]
    friction: list[UseCaseScore]
