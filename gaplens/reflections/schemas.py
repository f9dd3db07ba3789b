"""Reflection models that leave the process: the answer, links for the mail tool, the staff
view and the report section. Every figure is read from the reflections release or carries a
status saying why not.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gaplens.dates import PlausibleDay
from gaplens.i18n import N_

MAX_REFLECTION_CHARS = 2_000

Status = Literal["shown", "not_enough_data", "suppressed"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReflectionFields(Model):
    learned: str = Field(default="", max_length=MAX_REFLECTION_CHARS)
    """What did I learn?"""
    means: str = Field(default="", max_length=MAX_REFLECTION_CHARS)
    """What does it mean for my work?"""
    confidence: int | None = Field(default=None, ge=1, le=5)
    """How confident do I feel using it (1-5), optional."""

    @field_validator("learned", "means")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


class ReflectionIn(ReflectionFields):
    """One reflection as typed: at least one of the two prompts, an optional 1-5 confidence."""

    @model_validator(mode="after")
    def _something_written(self) -> ReflectionIn:
        if not self.learned and not self.means:
            raise ValueError(N_("write what you learned or what it means for your work"))
        return self


class ReflectionAnswer(ReflectionFields):
    """The JSON API's body: the link's token and the reflection (checked as ReflectionIn)."""

    link: str = Field(min_length=8, max_length=100)


class Stored(Model):
    status: str = "stored"


class ScheduleSummary(Model):
    """What `schedule` found and did: re-running it creates nothing new."""

    since: dt.date
    until: dt.date
    triggers: int
    """Training completions and first uses found in the period."""
    series_created: int
    invitations_created: int
    already_scheduled: int
    """Triggers whose three invitations existed already (earlier runs)."""
    overlapping: int
    """Triggers skipped because the person already has a series within a week of it."""

    def describe(self) -> str:
        return (
            f"{self.triggers} triggers from {self.since} to {self.until}: "
            f"{self.series_created} new reflection series ({self.invitations_created} "
            f"invitations), {self.already_scheduled} already scheduled, {self.overlapping} "
            "skipped (a series within a week of another for the same person)"
        )


class ReflectionLink(Model):
    """One email-ready link for the organisation's mail tool (the token is not stored)."""

    email: str
    name: str
    step: str
    step_label: str
    due_on: dt.date
    expires_on: dt.date
    url: str
    subject: str
    body: str
    language: str = "en"
    """The language of the subject and body (the person's, else the organisation's)."""


class ScheduleRequest(Model):
    since: PlausibleDay


class LinksRequest(Model):
    due: PlausibleDay
    base_url: str = Field(default="http://127.0.0.1:8000", min_length=8, max_length=200)
    reissue: bool = False

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")


class Interval(Model):
    estimate: float
    low: float
    high: float
    confidence: float = 0.95


class GroupParticipation(Model):
    """One function's or team's row of a step: the released groups at exactly it."""

    key: str
    label: str
    invited: int
    reflected: int
    rate: Interval


class StepParticipation(Model):
    step: str
    label: str
    offset_days: int
    status: Status
    invited: int | None = None
    """Links issued for this step in the period (None below the threshold)."""
    reflected: int | None = None
    rate: Interval | None = None
    """Share of issued links that were used, with its Wilson 95% interval."""
    groups: list[GroupParticipation] = Field(default_factory=list)
    hidden_groups: int = 0
    """Released groups in the total that sit above the breakdown (no single function or
    team: too few links sent in one to be shown apart)."""
    reason: str | None = None


class StepConfidence(Model):
    """Mean self-rated confidence (1-5) of reflections at one step, t-interval."""

    step: str
    label: str
    status: Status
    n: int | None = None
    mean: Interval | None = None


class ThemeOut(Model):
    label: str
    terms: list[str]
    size: int
    sentiment_label: str
    examples: list[str] = Field(default_factory=list)


class ThemesOut(Model):
    status: Status
    texts: int | None = None
    """Reflections behind the themes (Slack ones included); None below the threshold."""
    themes: list[ThemeOut] = Field(default_factory=list)
    reason: str | None = None


class UsageComparison(Model):
    """Later AI use of reflection participants vs non-participants: observational."""

    status: Status
    window_days: int
    participant_definition: str
    participants: int | None = None
    non_participants: int | None = None
    participants_mean: float | None = None
    """Mean active AI-usage days in the window after the +1-week step."""
    non_participants_mean: float | None = None
    difference: Interval | None = None
    """Participants minus non-participants, active days, percentile bootstrap (persons)."""
    baseline_difference: Interval | None = None
    """The same two groups in the window before their trigger: a gap here is selection."""
    reason: str | None = None
    caveat: str


class Reference(Model):
    text: str
    source: str


class ReflectionsSummary(Model):
    """The staff view and the report section: participation, confidence, themes, later use."""

    period_from: dt.date
    period_to: dt.date
    scope: str
    by: Literal["function", "team"]
    min_group_size: int
    min_comment_group_size: int
    steps: list[StepParticipation]
    confidence: list[StepConfidence]
    themes: ThemesOut
    later_usage: UsageComparison
    reference: Reference
    notes: list[str]

    @property
    def participation_chart(self) -> Markup:
        """The steps as inline SVG, for the staff page and the report (not in the JSON)."""
        from gaplens.reflections.chart import participation_svg

        return participation_svg(self.steps)
