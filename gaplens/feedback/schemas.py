"""What leaves the process about feedback: counts, themes and released comments only."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FeedbackKind(StrEnum):
    WORKING = "working"
    FRICTION = "friction"
    IDEA = "idea"
    CONCERN = "concern"


KIND_LABELS = {
    FeedbackKind.WORKING: "Working well",
    FeedbackKind.FRICTION: "Friction",
    FeedbackKind.IDEA: "Idea",
    FeedbackKind.CONCERN: "Concern",
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
    """None when showing it would let a smaller group be worked out (see size_hidden_reason)."""
    size_hidden_reason: str | None = None
    sentiment: float
    sentiment_label: str
    examples: list[str]


class KindDigest(BaseModel):
    kind: str
    label: str
    count: int | None
    """None when withheld: below the number threshold, or hidden so that the total minus the
    shown counts cannot reveal a small kind (`hidden_reason` says which, in plain words).
    Themes and comments need the comment threshold."""
    hidden_reason: str | None = None
    themes: list[ThemeOut] = Field(default_factory=list)
    comments: list[dict[str, str]] = Field(default_factory=list)


class Digest(BaseModel):
    period_from: dt.date
    period_to: dt.date
    total: int
    min_group_size: int
    min_comment_group_size: int
    kinds: list[KindDigest]
