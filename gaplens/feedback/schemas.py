"""What leaves the process about feedback: counts, themes and released comments only."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from gaplens.i18n import N_


class FeedbackKind(StrEnum):
    WORKING = "working"
    FRICTION = "friction"
    IDEA = "idea"
    CONCERN = "concern"


KIND_LABELS = {
    FeedbackKind.WORKING: N_("Working well"),
    FeedbackKind.FRICTION: N_("Friction"),
    FeedbackKind.IDEA: N_("Idea"),
    FeedbackKind.CONCERN: N_("Concern"),
}


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: FeedbackKind
    text: str = Field(min_length=3, max_length=2000)
    tool: str | None = Field(default=None, max_length=100)
    use_case: str | None = Field(default=None, max_length=100)


class ThemeOut(BaseModel):
    label: str
    terms: list[str]
    size: int | None
    """Items of the kind in this theme in its month (themes hold at least 10)."""
    size_hidden_reason: str | None = None
    month: str | None = None
    """The completed month (YYYY-MM, its ISO weeks) the theme was published for."""
    sentiment: float
    sentiment_label: str
    examples: list[str]


class KindDigest(BaseModel):
    kind: str
    label: str
    count: int | None
    """A sum of published classes (each at least k items, never all of one kind); None only
    when nothing is published for the period (`hidden_reason` says why, in plain words)."""
    hidden_reason: str | None = None
    themes: list[ThemeOut] = Field(default_factory=list)
    comments: list[dict[str, str]] = Field(default_factory=list)
    text_months: list[str] = Field(default_factory=list)
    """Completed months whose themes and comments of this kind are shown (10 or more)."""


class Digest(BaseModel):
    period_from: dt.date
    period_to: dt.date
    total: int
    min_group_size: int
    min_comment_group_size: int
    kinds: list[KindDigest]
    release: int | None = None
    """The feedback release read (every viewer and output of it shows the same figures)."""
    released_through: dt.date | None = None
    """The last day of the last week in that release."""
    note: str | None = None
    """What the period leaves out and why (quiet weeks published with their month...)."""
