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
    size: int
    sentiment: float
    sentiment_label: str
    examples: list[str]


class KindDigest(BaseModel):
    kind: str
    label: str
    count: int | None
    """None below the number threshold; themes and comments need the comment threshold."""
    themes: list[ThemeOut] = Field(default_factory=list)
    comments: list[dict[str, str]] = Field(default_factory=list)


class Digest(BaseModel):
    period_from: dt.date
    period_to: dt.date
    total: int
    min_group_size: int
    min_comment_group_size: int
    kinds: list[KindDigest]
