"""What enters the action plan (an adopted step, an action of one's own, a change) and what
leaves it (actions with their history, and the report section on the last steps)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gaplens.dates import PlausibleDay

TITLE_MAX = 300
TEXT_MAX = 2000
NOTE_MAX = 1000
RULE_MAX = 64

ScopeKind = Literal["organisation", "function", "team"]


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


STATUS_LABELS = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.DONE: "Done",
    Status.DROPPED: "Dropped",
}
CLOSED = frozenset({Status.DONE, Status.DROPPED})
"""An action in one of these is finished; it is never overdue, and reopening needs a note."""


class ActionScope(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ScopeKind
    key: str | None = None
    """The function's name or the team's key; None for the organisation."""


class Proposal(BaseModel):
    """A report's next step as the report showed it, with where and when it was proposed.

    Built by the report (gaplens/report/plan.py) from its own document, never from a
    client's text, so an adopted step says nothing the report did not already show."""

    model_config = ConfigDict(frozen=True)

    organisation_id: int
    scope: ActionScope
    period_start: dt.date
    period_end: dt.date
    period_label: str
    rule: str | None
    title: str
    action: str
    evidence: list[str] = Field(default_factory=list)


class AdoptIn(BaseModel):
    """Adopt one next step of the latest report (or of `period`) for a scope."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rule: str = Field(min_length=1, max_length=RULE_MAX)
    """The step's rule (docs/next-steps.md), e.g. "fix-friction"."""
    scope: str = Field(default="organisation", max_length=200)
    """"organisation", "function:NAME" or "team:KEY"."""
    period: str | None = Field(default=None, max_length=20)
    """The report's period (e.g. "2026-Q2"); empty for the default (the last 12 months)."""
    owner: str | None = Field(default=None, max_length=320)
    """A staff account's email."""
    due_on: PlausibleDay | None = None


class ActionIn(BaseModel):
    """An action of staff's own, not from a rule."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=TITLE_MAX)
    action: str = Field(min_length=3, max_length=TEXT_MAX)
    scope: str = Field(default="organisation", max_length=200)
    period: str | None = Field(default=None, max_length=20)
    """The period it belongs to; empty for the current quarter."""
    owner: str | None = Field(default=None, max_length=320)
    due_on: PlausibleDay | None = None


class ActionUpdate(BaseModel):
    """A change: any of status, owner, due date; the note says why (kept in the history)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Status | None = None
    owner: str | None = Field(default=None, max_length=320)
    """A staff account's email; "" to leave the action without an owner."""
    due_on: PlausibleDay | None = None
    clear_due: bool = False
    """True to remove the due date."""
    reason: str | None = Field(default=None, max_length=NOTE_MAX)
    """Required when the status becomes dropped: why."""
    note: str | None = Field(default=None, max_length=NOTE_MAX)

    @field_validator("reason", "note")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


class ChangeOut(BaseModel):
    changed_at: dt.datetime
    changed_by: str
    """Display name of the staff account."""
    status_from: Status | None
    status_to: Status
    note: str | None


class ActionOut(BaseModel):
    id: int
    rule: str | None
    scope: ActionScope
    scope_label: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    title: str
    action: str
    evidence: list[str]
    owner: str | None
    """The owner's display name."""
    owner_email: str | None
    due_on: dt.date | None
    status: Status
    status_label: str
    reason: str | None
    overdue: bool
    """Due before today and neither done nor dropped."""
    created_at: dt.datetime
    created_by: str
    history: list[ChangeOut]
    """Oldest first; the first row records the creation."""


class ActionCreated(BaseModel):
    id: int
    created: bool
    """False when the step was already in the plan (adopting is idempotent)."""
    action: ActionOut


class ActionsSection(BaseModel):
    """What happened to the last steps: the scope's actions proposed in earlier periods,
    with their status now; and this period's adopted steps (the brief marks them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: dt.date
    """The day statuses are read and overdue is judged (the day the report is built)."""
    earlier: list[ActionOut]
    """Proposed in periods starting before this one, newest period first."""
    this_period: list[ActionOut]
    open_earlier: int
    overdue: int
