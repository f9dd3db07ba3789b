"""The drivers section: which measured factors go with perceived gains and with the gap."""

from __future__ import annotations

from pydantic import BaseModel

from gaplens.figures import FigureStatus


class DriverOut(BaseModel):
    """One factor's share of the differences, in whole percent, with its 95% interval."""

    factor: str
    label: str
    share: int
    low: int
    high: int
    direction: str | None = None
    """'higher' or 'lower': more of the factor goes with higher or lower values; None for a
    factor of several bands, which has no one direction."""
    sentence: str


class DriverSet(BaseModel):
    """One analysis: across people (perceived gains) or across teams (the gap)."""

    status: FigureStatus
    outcome: str
    units: str
    """'people' or 'teams'."""
    n: int | None = None
    explained: int | None = None
    explained_low: int | None = None
    explained_high: int | None = None
    drivers: list[DriverOut] = []
    left_out: list[str] = []
    """Factors not in the analysis, each with the reason in words."""
    reason: str | None = None
    """Why there are no figures, in words."""
    headline: str


class DriversSection(BaseModel):
    survey: str
    gains: DriverSet
    gap: DriverSet
    method: list[str]
