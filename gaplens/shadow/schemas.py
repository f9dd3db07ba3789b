"""Shadow-AI figures: shares with intervals, per function, read from releases."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from gaplens.figures import FigureStatus, Share


class MeasuredUse(BaseModel):
    """Sanctioned-tool usage from the imported telemetry (not the survey), for one function."""

    status: FigureStatus
    licensed: int | None = None
    active_28d: Share | None = None
    """Licensed people active with a sanctioned AI tool in the 28 days up to the month end
    (`ShadowAiOut.measured_as_of`)."""
    reason: str | None = None
    """Why it is not shown, in plain words."""


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
    measured: MeasuredUse | None = None
    """None when no usage telemetry has been imported."""


class ShadowAiOut(BaseModel):
    survey: str
    groups: list[ShadowGroup]
    released_through: dt.date | None = None
    """The day the survey's released answers run through (None: not released yet)."""
    measured_as_of: dt.date | None = None
    """The adoption release's month end the measured column is about: the latest on or
    before the survey's last day."""
    measured_reason: str | None = None
    """Why there is no measured column, when there is none."""
    notes: list[str] = Field(
        default_factory=lambda: [
            "Self-reported in the anonymous survey. Shares of uses and reasons are among people "
            "who named an unsanctioned tool, and add up to more than 100% (several answers).",
            "Measured: licensed people (directory) active with a sanctioned tool in the 28 days "
            "up to the adoption release's latest month end on or before the survey's last day, "
            "from the imported Copilot and Microsoft 365 exports; sums of the release's groups "
            "of at least k people, the same for every viewer. It counts people, not "
            "respondents, so the two columns describe different groups.",
        ]
    )
