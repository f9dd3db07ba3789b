"""What enters (catalogue tasks, one anonymous set of answers) and what leaves (gate-cleared
aggregates, personas and playbooks) the task preference map."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gaplens.tasks.answers import FREE_LABEL_MAX, MAX_FREE_TASKS, MAX_HOURS


class Verdict(StrEnum):
    AUGMENT = "augment"
    PROTECT = "protect"
    NEITHER = "neither"


class Stance(StrEnum):
    KEEP = "keep"
    HATE = "hate"
    NEITHER = "neither"


# --- in ---------------------------------------------------------------------------------


class CatalogueTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    function: str = Field(min_length=1, max_length=100)
    key: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    """Stable across rounds and catalogue edits: lower-case letters, digits, '-', '_', '.'."""
    label: str = Field(min_length=2, max_length=200)
    judgement_hint: int | None = Field(default=None, ge=1, le=5)
    use_cases: list[str] = Field(default_factory=list, max_length=10)
    metrics: list[str] = Field(default_factory=list, max_length=10)


class CatalogueIn(BaseModel):
    """Replaces the catalogue of every function it names; other functions are untouched."""

    model_config = ConfigDict(extra="forbid")

    tasks: list[CatalogueTaskIn] = Field(min_length=1, max_length=500)


class TaskAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str = Field(min_length=1, max_length=64)
    stance: Stance
    hours_lost: float = Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)
    judgement: int = Field(ge=1, le=5)


class FreeTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=2, max_length=FREE_LABEL_MAX)
    stance: Stance
    hours_lost: float = Field(ge=0, le=MAX_HOURS, allow_inf_nan=False)
    judgement: int = Field(ge=1, le=5)


class TaskAnswersIn(BaseModel):
    """One anonymous respondent. Bands are self-reported; nothing identifies the person."""

    model_config = ConfigDict(extra="forbid")

    link: str = Field(min_length=8, max_length=100)
    role_level: str = Field(max_length=32)
    function: str = Field(min_length=1, max_length=100)
    team: str | None = Field(default=None, max_length=100)
    tasks: list[TaskAnswerIn] = Field(max_length=60)
    free_tasks: list[FreeTaskIn] = Field(default_factory=list, max_length=MAX_FREE_TASKS)


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)


# --- out --------------------------------------------------------------------------------


class Stored(BaseModel):
    status: str = "stored"


class CatalogueTaskOut(BaseModel):
    function: str
    key: str
    label: str
    judgement_hint: int | None
    use_cases: list[str]
    metrics: list[str]


class CatalogueOut(BaseModel):
    functions: dict[str, list[CatalogueTaskOut]]


class RoundOut(BaseModel):
    name: str
    created_on: dt.date
    tasks: dict[str, int]
    """Tasks per function, as this round asks them."""
    frozen: bool
    """True once the round has answers: its tasks no longer follow the catalogue."""
    responses: int
    invitations_sent: int
    invitations_used: int


class LinkOut(BaseModel):
    round: str
    path: str
    """Relative answer URL; any earlier open link of the round stops working."""


class FormTask(BaseModel):
    key: str
    label: str


class FormOut(BaseModel):
    """What a client needs to build the answer form for a link."""

    round: str
    functions: dict[str, list[FormTask]]
    teams: dict[str, list[str]]
    """Team keys per function (a team is optional)."""
    stances: list[str]
    max_hours: float
    max_free_tasks: int


class Share(BaseModel):
    count: int
    n: int
    value: float
    low: float
    high: float


class Mean(BaseModel):
    n: int
    value: float
    low: float
    high: float


class TaskFigure(BaseModel):
    key: str
    label: str
    function: str
    source: str
    """catalogue, or free (a task people typed; shown only when enough named it)."""
    n: int
    hate: Share
    """Share who would happily hand it off (Wilson interval)."""
    keep: Share
    """Share who want to keep doing it (Wilson interval)."""
    hours_lost: Mean
    """Mean hours per week lost on it, self-reported (bootstrap interval)."""
    judgement: Mean
    """Mean judgement it needs, 1-5 (t interval)."""
    judgement_hint: int | None
    """The catalogue's hint, for comparison; never used in the scores."""
    augmentation_score: float
    protect_score: float
    verdict: Verdict


class GroupMap(BaseModel):
    """One released group (a function, or a team within it): its ranked tasks."""

    key: str
    label: str
    n: int
    candidates: list[TaskFigure]
    protect: list[TaskFigure]


class FunctionMap(BaseModel):
    function: str
    n: int
    candidates: list[TaskFigure]
    protect: list[TaskFigure]
    free_tasks: list[TaskFigure]
    """Tasks people added themselves, named by at least min_comment_group_size of them."""
    withheld_tasks: list[str] = Field(default_factory=list)
    """Catalogue tasks with no figure for this group: fewer than k answers in a released
    group, or all answers alike (which would tell each person's answer)."""
    teams: list[GroupMap]


class TaskMapView(BaseModel):
    round: str | None
    scope: str
    n: int | None
    """Respondents in scope; None below the threshold."""
    min_group_size: int
    min_comment_group_size: int
    top_candidates: list[TaskFigure]
    """Across the functions shown, best first (the organisation-wide list)."""
    functions: list[FunctionMap]
    hidden_functions: int
    rules: list[str]
    answers_through: dt.date | None = None
    """The release's answers run to the end of this week (None: nothing released yet)."""
    note: str | None = None
    """Why nothing is shown, in words, when the release has nothing for this scope."""


class UseCaseMatch(BaseModel):
    task: str
    task_label: str
    use_case: str
    status: str
    """working, friction or unknown, from the scorecard."""
    reason: str
    matched_by: str
    """catalogue (listed on the task) or words (shared words, docs/tasks.md)."""
    advice: str


class MetricSuggestion(BaseModel):
    key: str
    label: str
    why: str


class Playbook(BaseModel):
    augment: list[TaskFigure]
    keep: list[TaskFigure]
    use_cases: list[UseCaseMatch]
    measure: list[MetricSuggestion]


class PersonaTask(BaseModel):
    key: str
    label: str
    share: Share
    """Within the persona: share who hate it (defining hated) or keep it (defining kept)."""
    function_share: float
    """The same share among everyone in the function group, for contrast."""


class Persona(BaseModel):
    key: str
    name: str
    n: int
    hates: list[PersonaTask]
    keeps: list[PersonaTask]
    playbook: Playbook


class FunctionPersonas(BaseModel):
    function: str
    n: int | None
    method: str
    personas: list[Persona]
    note: str | None = None


class PersonasView(BaseModel):
    round: str | None
    scope: str
    min_group_size: int
    scorecard_from: dt.date
    scorecard_to: dt.date
    functions: list[FunctionPersonas]
    hidden_functions: int
    rules: list[str]
    answers_through: dt.date | None = None
    note: str | None = None


class ReportPersona(BaseModel):
    name: str
    n: int
    augment: list[str]
    keep: list[str]
    use_cases: list[str]
    measure: list[str]


class ReportFunction(BaseModel):
    function: str
    n: int
    candidates: list[TaskFigure]
    protect: list[TaskFigure]
    free_tasks: list[TaskFigure]
    personas: list[ReportPersona]
    candidate_use_cases: list[UseCaseMatch] = Field(default_factory=list)
    """Scorecard use cases matching the candidates (docs/tasks.md, "Playbooks"): where a
    candidate meets a working use case, a pilot can start from it; where none, the task
    needs a tool or workflow first."""


class TaskMapSection(BaseModel):
    """The report's task preference map: figures of the round's release only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    round: str
    period_from: dt.date
    period_to: dt.date
    status: Literal["shown", "suppressed"] = "shown"
    """`suppressed`: this population is too close to one the report's viewer already saw
    (privacy rule 3), so the section holds no figures; `reason` says so in words."""
    reason: str | None = None
    respondents: int | None
    """People who answered in scope; None when the section is suppressed."""
    functions: list[ReportFunction]
    hidden_functions: int
    rules: list[str]
    use_cases_known: bool = True
    """Always true now that the scorecard reads the friction release (it was false when the
    per-viewer gate withheld the scorecard); kept so report JSON 2.0 keeps its fields."""
    answers_through: dt.date | None = None
    """The release the section reads: answers to the end of this week."""
