"""The adoption funnel as it leaves the process: counts, shares with intervals, suppression."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from gaplens.figures import FigureStatus, Model
from gaplens.figures import Share as FigureShare

STAGES = ("licensed", "activated", "active_28d", "sustained", "integrated")
Stage = Literal["licensed", "activated", "active_28d", "sustained", "integrated"]


class Share(BaseModel):
    """A proportion with its 95% Wilson interval."""

    value: float
    low: float
    high: float


class StageFigure(BaseModel):
    stage: Stage
    n: int
    share_of_licensed: Share | None
    share_of_previous: Share | None
    trained: int | None
    """Licensed persons trained (on the licensed stage only: counted over whole groups, never
    per stage); None when the groups that count it do not cover this one exactly."""
    certified: int | None


class FunnelGroup(BaseModel):
    """The funnel of one team (people whose own team it is) or of the organisation."""

    key: str
    name: str
    shown: bool
    suppression_reason: str | None = None
    """Why it is not shown, in plain words."""
    licensed: int | None = None
    stages: list[StageFigure] = []


class AdoptionFunnel(BaseModel):
    as_of: dt.date
    """The released month end the figures are about."""
    requested: dt.date | None = None
    """The day asked for: the latest released month end at or before it is shown."""
    min_group_size: int
    organisation: FunnelGroup
    teams: list[FunnelGroup]
    headline: str


class FunnelStage(Model):
    stage: str
    label: str
    n: int
    share_of_licensed: FigureShare | None
    share_of_previous: FigureShare | None
    trained: int | None
    """On the licensed stage only (counted over whole released groups); None elsewhere."""
    certified: int | None


class AdoptionSection(Model):
    """Performative vs real adoption for the scope: the report's section
    (gaplens/adoption/views.py)."""

    as_of: dt.date
    status: FigureStatus
    licensed: int | None = None
    stages: list[FunnelStage] = Field(default_factory=list)
    headline: str
    definitions: list[str] = Field(default_factory=list)
