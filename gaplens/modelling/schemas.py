"""What enters (a leader's post) and what leaves (posts, marks, the report section) leadership
modelling."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

TITLE_MAX = 120
TASK_MAX = 300
TOOL_MAX = 100
TEXT_MAX = 2000
FUNCTION_MAX = 100
MOST_USEFUL_SHOWN = 3


def _collapse(value: str) -> str:
    """One line fields: runs of whitespace (newlines included) become one space."""
    return " ".join(value.split())


class PostIn(BaseModel):
    """A post as its author writes it. Either `what_went_wrong` is filled or
    `nothing_went_wrong` is true: the service refuses both and neither, naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=TITLE_MAX)
    task: str = Field(min_length=3, max_length=TASK_MAX)
    """What the author used the AI for."""
    tool: str = Field(min_length=1, max_length=TOOL_MAX)
    what_worked: str = Field(min_length=3, max_length=TEXT_MAX)
    what_went_wrong: str | None = Field(default=None, max_length=TEXT_MAX)
    nothing_went_wrong: bool = False
    """The explicit "nothing went wrong this time", so a blank is never read as no failure."""
    function: str | None = Field(default=None, max_length=FUNCTION_MAX)
    """The function whose work this is about; empty for the whole organisation."""

    @field_validator("title", "task", "tool")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return _collapse(value)

    @field_validator("what_went_wrong", "function")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class Author(BaseModel):
    """How a post is signed: the display name and staff role, never the email."""

    name: str
    role: str


class PostOut(BaseModel):
    id: int
    title: str
    task: str
    tool: str
    what_worked: str
    admits_failure: bool
    what_went_wrong: str | None
    function: str | None
    author: Author
    published_on: dt.date
    edited_on: dt.date | None
    """Set when the post was changed after publishing; pages show "edited on <day>"."""
    useful: int
    """How many browsers marked the post useful."""


class PostPage(BaseModel):
    posts: list[PostOut]
    total: int
    page: int
    pages: int


class Marked(BaseModel):
    post: int
    useful: int
    new: bool
    """False when this browser had already marked the post (nothing changed)."""


class UsefulPost(BaseModel):
    title: str
    author: str
    role: str
    useful: int
    admits_failure: bool
    published_on: dt.date


class ModellingSection(BaseModel):
    """Leadership modelling in the report: counts only, about signed posts, for one period.

    Posts are signed and marks carry nothing about a reader, so there is no respondent group
    to protect here; the counts are shown as they are.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    period_from: dt.date
    period_to: dt.date
    posts: int
    """Posts published in the period (within the scope's function, or organisation-wide)."""
    admitting_failure: int
    """Posts whose author said what the AI got wrong (a field, not a reading of the text)."""
    failure_share: float | None
    """admitting_failure / posts; None when there are no posts in the period."""
    leaders_posting: int
    """Distinct authors of the period's posts (a count: no list of who did not post)."""
    useful_marks: int
    """Marks made in the period, on any post in scope."""
    most_useful: list[UsefulPost] = Field(default_factory=list)
    """Up to three of the period's posts with the most marks up to its end (at least one)."""
    posts_all_time: int
    summary: str
