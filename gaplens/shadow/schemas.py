"""Shadow-AI figures: shares with intervals, per function, each group through the gate."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gaplens.report.schemas import FigureStatus, Share


class ShadowGroup(BaseModel):
    group: str
    """A function, or 'everyone'."""
    status: FigureStatus
    n: int | None = None
    sanctioned: Share | None = None
    unsanctioned: Share | None = None
    """Share of AI users naming at least one tool the organisation did not provide."""
    unsanctioned_n: int | None = None
    uses: dict[str, Share] | None = None
    reasons: dict[str, Share] | None = None
    follow_up_status: FigureStatus | None = None
    """Uses and reasons need at least k unsanctioned users of their own."""


class ShadowAiOut(BaseModel):
    survey: str
    groups: list[ShadowGroup]
    notes: list[str] = Field(
        default_factory=lambda: [
            "Self-reported in the anonymous survey. Shares of uses and reasons are among people "
            "who named an unsanctioned tool, and add up to more than 100% (several answers).",
            "Measured usage of the sanctioned tools (licence telemetry) is set beside this once "
            "tool exports are imported.",
        ]
    )
