"""Task preference map writes: the catalogue, rounds, answer links, one anonymous set of
answers, and the CSV imports of catalogues and answers (all or nothing, every problem
located). The aggregate views live in `views.py`.

Links work like survey links (`gaplens/surveys/collection.py`) and reuse their token
hashing and refusal messages, but have their own table: a survey link always opens the
perception form at /s/, while a task-map link opens a form built from the round's tasks of
the respondent's function, at /t/.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gaplens.connectors.csv_file import CsvReader
from gaplens.connectors.fields import parse_date, parse_key, parse_role_level
from gaplens.directory.models import Person, Team
from gaplens.errors import InputError, InputProblem, ProblemCollector
from gaplens.i18n import N_
from gaplens.imports.service import ConnectorSummary, record_import
from gaplens.metrics.registry import REGISTRY
from gaplens.spent.service import TASK, is_spent, spend, spent_among
from gaplens.surveys.intake import INVITATION, OPEN, LinkNotUsable, token_hash
from gaplens.surveys.service import response_key
from gaplens.tasks.answers import (
    MAX_FREE_TASKS,
    MAX_HOURS,
    STANCE_LABELS,
    RawTaskAnswer,
    TaskAnswerValue,
    Where,
    check_answers,
)
from gaplens.tasks.models import (
    CatalogueTask,
    RoundTask,
    TaskAnswer,
    TaskLink,
    TaskResponse,
    TaskRound,
)
from gaplens.tasks.schemas import (
    CatalogueIn,
    CatalogueOut,
    CatalogueTaskIn,
    CatalogueTaskOut,
    FormOut,
    FormTask,
    RoundOut,
    TaskAnswersIn,
)

IMPORT_CATALOGUE = "task-catalogue"
IMPORT_ANSWERS = "task-answers"
CATALOGUE_COLUMNS = ("function", "key", "label")
CATALOGUE_OPTIONAL = ("needs_judgement", "use_cases", "metrics")
CSV_FIELD = {"judgement_hint": "needs_judgement"}
"""Schema field -> CSV column, where the two differ."""
ANSWER_COLUMNS = (
    "response_id",
    "answered_on",
    "role_level",
    "function",
    "stance",
    "hours_lost",
    "judgement",
)
ANSWER_OPTIONAL = ("team", "task_key", "free_task")
BAND_COLUMNS = ("answered_on", "role_level", "function", "team")
MAX_TOKEN = 100


# --- the catalogue ----------------------------------------------------------------------


def catalogue(session: Session) -> dict[str, list[CatalogueTask]]:
    """Every function's tasks, in catalogue order."""
    result: dict[str, list[CatalogueTask]] = {}
    query = select(CatalogueTask).order_by(
        CatalogueTask.function, CatalogueTask.position, CatalogueTask.key
    )
    for task in session.scalars(query):
        result.setdefault(task.function, []).append(task)
    return result


def catalogue_out(session: Session) -> CatalogueOut:
    return CatalogueOut(
        functions={
            function: [_task_out(task) for task in tasks]
            for function, tasks in catalogue(session).items()
        }
    )


def _task_out(task: CatalogueTask | RoundTask) -> CatalogueTaskOut:
    return CatalogueTaskOut(
        function=task.function,
        key=task.key,
        label=task.label,
        judgement_hint=task.judgement_hint,
        use_cases=list(task.use_cases),
        metrics=list(task.metrics),
    )


def validate_catalogue(data: Mapping[str, object]) -> CatalogueIn:
    """Pydantic validation with each problem named by its field (forms and the API)."""
    try:
        spec = CatalogueIn.model_validate(data)
    except ValidationError as error:
        raise InputError(_problems(error)) from None
    problems = ProblemCollector("catalogue")
    for n, task in enumerate(spec.tasks):
        _check_task(task, problems, None, f"tasks.{n}.")
    _check_unique(spec.tasks, problems, lambda n: (None, f"tasks.{n}.key"))
    problems.raise_if_any()
    return spec


def _problems(error: ValidationError, row: int | None = None) -> list[InputProblem]:
    return [
        InputProblem(e["msg"], row=row, column=".".join(str(p) for p in e["loc"]) or None)
        for e in error.errors()
    ]


def _check_task(
    task: CatalogueTaskIn, problems: ProblemCollector, row: int | None, prefix: str
) -> None:
    """What the schema cannot see: metric keys must be in the registry, use cases short."""
    for metric in task.metrics:
        if metric not in REGISTRY:
            problems.add(
                f"unknown metric '{metric[:40]}' (known: {', '.join(REGISTRY)})",
                row,
                prefix + "metrics",
            )
    for use_case in task.use_cases:
        if not 2 <= len(use_case) <= 100:
            problems.add("a use case needs 2 to 100 characters", row, prefix + "use_cases")


def _check_unique(
    tasks: Sequence[CatalogueTaskIn],
    problems: ProblemCollector,
    locate: Callable[[int], tuple[int | None, str]],
) -> None:
    """Keys and labels are unique within a function (a label twice would be one task)."""
    keys: set[tuple[str, str]] = set()
    labels: set[tuple[str, str]] = set()
    for n, task in enumerate(tasks):
        row, column = locate(n)
        if (task.function, task.key) in keys:
            problems.add(f"task '{task.key}' of {task.function} appears twice", row, column)
        keys.add((task.function, task.key))
        label = (task.function, _folded(task.label))
        if label in labels:
            label_column = column.removesuffix("key") + "label"
            problems.add(f"the label '{task.label[:40]}' appears twice", row, label_column)
        labels.add(label)


def _folded(label: str) -> str:
    return " ".join(label.casefold().split())


def replace_catalogue(session: Session, tasks: Sequence[CatalogueTaskIn]) -> int:
    """The given tasks become the whole catalogue of each function they name; other
    functions are untouched. Rounds without answers follow the new catalogue."""
    functions = sorted({task.function for task in tasks})
    session.execute(delete(CatalogueTask).where(CatalogueTask.function.in_(functions)))
    positions: dict[str, int] = {}
    for task in tasks:
        positions[task.function] = positions.get(task.function, -1) + 1
        session.add(_catalogue_row(task, positions[task.function]))
    session.flush()
    refresh_unanswered_rounds(session)
    return len(tasks)


def _catalogue_row(task: CatalogueTaskIn, position: int) -> CatalogueTask:
    return CatalogueTask(
        function=task.function,
        key=task.key,
        label=task.label,
        judgement_hint=task.judgement_hint,
        use_cases=list(task.use_cases),
        metrics=list(task.metrics),
        position=position,
    )


def save_task(session: Session, task: CatalogueTaskIn) -> None:
    """Add one task, or update the task with the same function and key (the admin page)."""
    problems = ProblemCollector("task")
    _check_task(task, problems, None, "")
    existing = session.scalars(
        select(CatalogueTask).where(
            CatalogueTask.function == task.function, CatalogueTask.key == task.key
        )
    ).one_or_none()
    for other in session.scalars(
        select(CatalogueTask).where(CatalogueTask.function == task.function)
    ):
        if other is not existing and _folded(other.label) == _folded(task.label):
            problems.add(f"task '{other.key}' already has this label", None, "label")
    problems.raise_if_any()
    if existing is None:
        last = session.scalar(
            select(func.max(CatalogueTask.position)).where(CatalogueTask.function == task.function)
        )
        session.add(_catalogue_row(task, 0 if last is None else last + 1))
    else:
        existing.label = task.label
        existing.judgement_hint = task.judgement_hint
        existing.use_cases = list(task.use_cases)
        existing.metrics = list(task.metrics)
    session.flush()
    refresh_unanswered_rounds(session)


def remove_task(session: Session, function: str, key: str) -> None:
    removed = session.execute(
        delete(CatalogueTask).where(CatalogueTask.function == function, CatalogueTask.key == key)
    )
    if removed.rowcount == 0:  # type: ignore[attr-defined]
        raise InputError.single(f"no task '{key}' in {function}'s catalogue", column="key")
    session.flush()
    refresh_unanswered_rounds(session)


def import_catalogue(session: Session, path: Path) -> ConnectorSummary:
    """A catalogue CSV (function, key, label; optional needs_judgement, use_cases and metrics
    separated by ';'), all or nothing; replaces the catalogue of each function it names."""
    reader = CsvReader(path, CATALOGUE_COLUMNS, CATALOGUE_OPTIONAL)
    problems = ProblemCollector(reader.source)
    tasks: list[CatalogueTaskIn] = []
    rows: list[int] = []
    for row, fields in reader:
        hint = reader.get(fields, "needs_judgement").strip()
        data: dict[str, object] = {
            "function": reader.get(fields, "function"),
            "key": reader.get(fields, "key"),
            "label": reader.get(fields, "label"),
            "judgement_hint": hint or None,
            "use_cases": _list(reader.get(fields, "use_cases")),
            "metrics": _list(reader.get(fields, "metrics")),
        }
        try:
            task = CatalogueTaskIn.model_validate(data)
        except ValidationError as error:
            for e in error.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                problems.add(e["msg"], row, CSV_FIELD.get(column or "", column))
            continue
        _check_task(task, problems, row, "")
        tasks.append(task)
        rows.append(row)
    _check_unique(tasks, problems, lambda n: (rows[n], "key"))
    problems.raise_if_any()
    if not tasks:
        raise InputError.single("the file has no tasks", reader.source)
    written = replace_catalogue(session, tasks)
    record_import(session, IMPORT_CATALOGUE, path, reader.rows_read, written)
    functions = len({t.function for t in tasks})
    return ConnectorSummary(
        IMPORT_CATALOGUE,
        reader.source,
        reader.rows_read,
        written,
        detail=f"catalogue of {functions} function(s) replaced",
    )


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


# --- rounds -----------------------------------------------------------------------------


def find_round(session: Session, name: str | None) -> TaskRound:
    """The named round, or the most recent one when no name is given."""
    if name:
        found = session.scalars(select(TaskRound).where(TaskRound.name == name)).one_or_none()
        if found is None:
            known = ", ".join(session.scalars(select(TaskRound.name).order_by(TaskRound.name)))
            raise InputError.single(
                f"no task map round named '{name[:60]}' (known: {known or 'none'})", column="round"
            )
        return found
    latest = session.scalars(select(TaskRound).order_by(TaskRound.id.desc())).first()
    if latest is None:
        raise InputError.single(
            "no task map round yet (run: gaplens tasks open-link NAME)", column="round"
        )
    return latest


def get_or_create_round(session: Session, name: str) -> tuple[TaskRound, bool]:
    name = " ".join(name.split())
    if not 2 <= len(name) <= 200:
        raise InputError.single("a round name needs 2 to 200 characters", column="name")
    found = session.scalars(select(TaskRound).where(TaskRound.name == name)).one_or_none()
    if found is not None:
        return found, False
    created = TaskRound(
        name=name, created_on=dt.date.today(), response_key_salt=secrets.token_hex(16)
    )
    session.add(created)
    session.flush()
    snapshot_catalogue(session, created)
    return created, True


def has_answers(session: Session, round_: TaskRound) -> bool:
    return (
        session.scalar(select(TaskResponse.id).where(TaskResponse.round_id == round_.id).limit(1))
        is not None
    )


def snapshot_catalogue(session: Session, round_: TaskRound) -> None:
    """The round asks the catalogue as it is now (only while it has no answers: after the
    first answer its tasks are fixed, so every respondent answered the same ones)."""
    if has_answers(session, round_):
        raise InputError.single(
            f"round '{round_.name}' already has answers; its tasks can no longer change",
            column="round",
        )
    session.execute(delete(RoundTask).where(RoundTask.round_id == round_.id))
    for tasks in catalogue(session).values():
        for position, task in enumerate(tasks):
            session.add(
                RoundTask(
                    round_id=round_.id,
                    function=task.function,
                    key=task.key,
                    label=task.label,
                    judgement_hint=task.judgement_hint,
                    use_cases=list(task.use_cases),
                    metrics=list(task.metrics),
                    position=position,
                )
            )
    session.flush()


def refresh_unanswered_rounds(session: Session) -> None:
    answered = select(TaskResponse.round_id).distinct()
    for round_ in session.scalars(select(TaskRound).where(TaskRound.id.not_in(answered))):
        snapshot_catalogue(session, round_)


def round_tasks(session: Session, round_id: int) -> dict[str, list[RoundTask]]:
    result: dict[str, list[RoundTask]] = {}
    query = (
        select(RoundTask)
        .where(RoundTask.round_id == round_id)
        .order_by(RoundTask.function, RoundTask.position)
    )
    for task in session.scalars(query):
        result.setdefault(task.function, []).append(task)
    return result


def round_out(session: Session, round_: TaskRound) -> RoundOut:
    responses = session.scalar(
        select(func.count()).select_from(TaskResponse).where(TaskResponse.round_id == round_.id)
    )
    invitations = session.scalars(
        select(TaskLink.token_hash).where(
            TaskLink.round_id == round_.id, TaskLink.kind == INVITATION
        )
    ).all()
    return RoundOut(
        name=round_.name,
        created_on=round_.created_on,
        tasks={f: len(t) for f, t in round_tasks(session, round_.id).items()},
        frozen=bool(responses),
        responses=int(responses or 0),
        invitations_sent=len(invitations),
        invitations_used=len(spent_among(session, TASK, invitations)),
    )


def rounds(session: Session) -> list[RoundOut]:
    return [
        round_out(session, r)
        for r in session.scalars(select(TaskRound).order_by(TaskRound.id.desc()))
    ]


# --- links ------------------------------------------------------------------------------


def create_open_link(session: Session, round_: TaskRound) -> str:
    """A new open link; any earlier open link of the round stops working."""
    session.execute(delete(TaskLink).where(TaskLink.round_id == round_.id, TaskLink.kind == OPEN))
    token = secrets.token_urlsafe(18)
    session.add(TaskLink(token_hash=token_hash(token), round_id=round_.id, kind=OPEN))
    session.flush()
    return token


def create_invitations(
    session: Session, round_: TaskRound, people: Sequence[Person]
) -> list[tuple[str, str]]:
    """One single-use token per person, returned once as (email, token) for the mail tool."""
    links = []
    for person in people:
        token = secrets.token_urlsafe(18)
        session.add(
            TaskLink(
                token_hash=token_hash(token),
                round_id=round_.id,
                kind=INVITATION,
                person_id=person.id,
            )
        )
        links.append((person.email, token))
    session.flush()
    return links


@dataclass(frozen=True)
class OpenRound:
    """What the answer form needs for one link."""

    round: TaskRound
    link_kind: str
    link_hash: str
    tasks: dict[str, list[RoundTask]]
    teams: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """(key, name) of the teams of each function that has tasks."""

    def form(self) -> FormOut:
        return FormOut(
            round=self.round.name,
            functions={
                f: [FormTask(key=t.key, label=t.label) for t in tasks]
                for f, tasks in self.tasks.items()
            },
            teams={f: [key for key, _ in teams] for f, teams in self.teams.items()},
            stances=list(STANCE_LABELS),
            max_hours=MAX_HOURS,
            max_free_tasks=MAX_FREE_TASKS,
        )


def open_round(session: Session, token: str) -> OpenRound:
    """The round behind a link; LinkNotUsable (404 unknown or replaced, 410 used)."""
    if not token or len(token) > MAX_TOKEN:
        raise LinkNotUsable(N_("This task map link is not valid."), 404)
    hashed = token_hash(token)
    link = session.get(TaskLink, hashed)
    if link is None:
        raise LinkNotUsable(N_("This task map link is not valid or has been replaced."), 404)
    if link.kind == INVITATION and is_spent(session, TASK, hashed):
        raise LinkNotUsable(
            N_("This invitation has already been used. Thank you for answering."), 410
        )
    round_ = session.get(TaskRound, link.round_id)
    assert round_ is not None, "a link's round exists (foreign key)"
    tasks = {f: t for f, t in round_tasks(session, round_.id).items() if t}
    teams: dict[str, list[tuple[str, str]]] = {f: [] for f in tasks}
    for key, name, team_function in session.execute(
        select(Team.key, Team.name, Team.function).order_by(Team.name)
    ):
        if team_function in teams:
            teams[team_function].append((key, name))
    return OpenRound(round_, link.kind, hashed, tasks, teams)


# --- one anonymous set of answers -------------------------------------------------------


ROLE_AT, FUNCTION_AT, TEAM_AT = (Where(None, f) for f in ("role_level", "function", "team"))


@dataclass(frozen=True)
class Submission:
    """One respondent's answers as received (form, API or a CSV's rows), not yet checked."""

    role_level: str
    function: str
    team: str
    answers: list[RawTaskAnswer]
    role_at: Where = ROLE_AT
    function_at: Where = FUNCTION_AT
    team_at: Where = TEAM_AT


@dataclass(frozen=True)
class CheckedSubmission:
    role_level: str
    function: str
    team_id: int | None
    answers: list[TaskAnswerValue]


def check_submission(
    session: Session,
    tasks: Mapping[str, Sequence[RoundTask]],
    submission: Submission,
    problems: ProblemCollector,
) -> CheckedSubmission | None:
    """Bands and answers checked against the round's tasks; None (problems recorded) if not."""
    before = problems.count
    at = submission.role_at
    role = parse_role_level(submission.role_level, problems, at.row, at.field)
    function = " ".join(submission.function.split())
    at = submission.function_at
    if function not in tasks:
        known = ", ".join(sorted(tasks)) or "none yet"
        shown = f"'{function[:40]}'" if function else "an empty value"
        problems.add(f"{shown} is not a function of this task map ({known})", at.row, at.field)
        return None
    team_id = None
    team_text = submission.team.strip()
    if team_text:
        at = submission.team_at
        key = parse_key(team_text, problems, at.row, at.field)
        if key is not None:
            found = session.execute(select(Team.id, Team.function).where(Team.key == key)).first()
            if found is None:
                problems.add(f"unknown team '{key}'", at.row, at.field)
            elif found.function not in (None, function):
                problems.add(
                    f"team '{key}' belongs to {found.function}, not {function}", at.row, at.field
                )
            else:
                team_id = int(found.id)
    catalogue_labels = {t.key: t.label for t in tasks[function]}
    answers = check_answers(
        submission.answers, catalogue_labels, function, problems, submission.function_at
    )
    if role is None or problems.count != before:
        return None
    return CheckedSubmission(role.value, function, team_id, answers)


def submission_from_api(body: TaskAnswersIn) -> Submission:
    """The JSON body as a submission whose problems name JSON paths ('tasks.2.stance')."""
    raw = [
        RawTaskAnswer(
            key=item.task,
            label=None,
            stance=item.stance.value,
            hours_lost=repr(item.hours_lost),
            judgement=str(item.judgement),
            stance_at=Where(None, f"tasks.{n}.stance"),
            hours_at=Where(None, f"tasks.{n}.hours_lost"),
            judgement_at=Where(None, f"tasks.{n}.judgement"),
            task_at=Where(None, f"tasks.{n}.task"),
        )
        for n, item in enumerate(body.tasks)
    ]
    raw += [
        RawTaskAnswer(
            key=None,
            label=item.label,
            stance=item.stance.value,
            hours_lost=repr(item.hours_lost),
            judgement=str(item.judgement),
            stance_at=Where(None, f"free_tasks.{n}.stance"),
            hours_at=Where(None, f"free_tasks.{n}.hours_lost"),
            judgement_at=Where(None, f"free_tasks.{n}.judgement"),
            task_at=Where(None, f"free_tasks.{n}.label"),
        )
        for n, item in enumerate(body.free_tasks)
    ]
    return Submission(body.role_level, body.function, body.team or "", raw)


def submit_answers(
    session: Session, token: str, submission: Submission, today: dt.date | None = None
) -> None:
    """Validate everything, then use the link and store the answers, or store nothing.

    The stored response has a random id, the bands and the day; nothing written links it to
    the link that brought it. Using an invitation leaves its row as it was and adds a keyed
    tag to `spent_link` (gaplens.spent), which only the server's key maps back to it."""
    opened = open_round(session, token)
    problems = ProblemCollector("answers")
    checked = check_submission(session, opened.tasks, submission, problems)
    problems.raise_if_any()
    assert checked is not None
    if opened.link_kind == INVITATION:
        still = select(TaskLink.token_hash).where(TaskLink.token_hash == opened.link_hash)
        if session.scalar(still) is None:  # deleted meanwhile
            raise LinkNotUsable(N_("This task map link is not valid or has been replaced."), 404)
        if not spend(session, TASK, opened.link_hash):
            raise LinkNotUsable(N_("This invitation has already been used."), 410)
    _write_responses(
        session, opened.round.id, [(secrets.token_hex(16), today or dt.date.today(), checked)]
    )


def _write_responses(
    session: Session,
    round_id: int,
    items: Sequence[tuple[str, dt.date, CheckedSubmission]],
) -> int:
    """Insert responses and their answers, replacing any with the same ids (re-imports)."""
    if not items:
        return 0
    ids = [rid for rid, _, _ in items]
    replaced = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(TaskAnswer).where(TaskAnswer.response_id.in_(chunk)))
        result = session.execute(delete(TaskResponse).where(TaskResponse.id.in_(chunk)))
        replaced += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.execute(
        insert(TaskResponse),
        [
            {
                "id": rid,
                "round_id": round_id,
                "answered_on": day,
                "role_level": checked.role_level,
                "team_id": checked.team_id,
                "function": checked.function,
            }
            for rid, day, checked in items
        ],
    )
    answers = [
        {
            "response_id": rid,
            "ordinal": ordinal,
            "task_key": answer.key,
            "free_label": answer.label,
            "stance": answer.stance,
            "hours_lost": answer.hours_lost,
            "judgement": answer.judgement,
        }
        for rid, _, checked in items
        for ordinal, answer in enumerate(checked.answers)
    ]
    if answers:
        session.execute(insert(TaskAnswer), answers)
    session.flush()
    return replaced


# --- importing answers ------------------------------------------------------------------


@dataclass(frozen=True)
class AnswersImported:
    round: str
    source: str
    rows: int
    responses: int
    replaced: int
    created_round: bool

    def describe(self) -> str:
        created = " (new round)" if self.created_round else ""
        return (
            f"{self.responses} respondents ({self.rows} task answers) imported from "
            f"{self.source} into task map round '{self.round}'{created}; "
            f"{self.replaced} replaced an earlier import"
        )


@dataclass
class _Pending:
    row: int
    answered_on: str
    bands: dict[str, str]
    answers: list[RawTaskAnswer] = field(default_factory=list)


def import_answers(session: Session, path: Path, round_name: str) -> AnswersImported:
    """Task answers exported from another tool: one row per respondent and task
    (docs/tasks.md), all or nothing, every problem with its row and column.

    Rows of one `response_id` may be anywhere in the file but must agree on the bands and
    the day; each respondent must answer every task of their function in the round.
    Response ids are stored as a salted hash, so a re-import replaces, never duplicates."""
    round_, created = get_or_create_round(session, round_name)
    reader = CsvReader(path, ANSWER_COLUMNS, ANSWER_OPTIONAL)
    problems = ProblemCollector(reader.source)
    pending: dict[str, _Pending] = {}
    for row, fields in reader:
        source_id = reader.get(fields, "response_id").strip()
        if not source_id:
            problems.add("a value is required", row, "response_id")
            continue
        if len(source_id) > 200:
            problems.add("longer than 200 characters", row, "response_id")
            continue
        bands = {column: " ".join(reader.get(fields, column).split()) for column in BAND_COLUMNS}
        entry = pending.get(source_id)
        if entry is None:
            entry = pending[source_id] = _Pending(row, bands["answered_on"], bands)
        else:
            for column in BAND_COLUMNS:
                if bands[column] != entry.bands[column]:
                    problems.add(
                        f"response '{source_id[:40]}' has '{entry.bands[column][:40]}' here in "
                        f"row {entry.row}",
                        row,
                        column,
                    )
        key = reader.get(fields, "task_key").strip()
        label = reader.get(fields, "free_task")
        if bool(key) == bool(label.strip()):
            problems.add("give exactly one of task_key and free_task", row, "task_key")
            continue
        entry.answers.append(
            RawTaskAnswer(
                key=key or None,
                label=None if key else label,
                stance=reader.get(fields, "stance"),
                hours_lost=reader.get(fields, "hours_lost"),
                judgement=reader.get(fields, "judgement"),
                stance_at=Where(row, "stance"),
                hours_at=Where(row, "hours_lost"),
                judgement_at=Where(row, "judgement"),
                task_at=Where(row, "task_key" if key else "free_task"),
            )
        )
    tasks = round_tasks(session, round_.id)
    checked: list[tuple[str, dt.date, CheckedSubmission]] = []
    today = dt.date.today()
    for source_id, entry in pending.items():
        before = problems.count
        day = parse_date(entry.answered_on, problems, entry.row, "answered_on", allow_time=True)
        if day is None and problems.count == before:
            problems.add("a value is required", entry.row, "answered_on")
        elif day is not None and day > today:
            problems.add(f"{day.isoformat()} is in the future", entry.row, "answered_on")
        submission = Submission(
            entry.bands["role_level"],
            entry.bands["function"],
            entry.bands["team"],
            entry.answers,
            role_at=Where(entry.row, "role_level"),
            function_at=Where(entry.row, "function"),
            team_at=Where(entry.row, "team"),
        )
        result = check_submission(session, tasks, submission, problems)
        if result is not None and day is not None and problems.count == before:
            checked.append((response_key(round_.response_key_salt, source_id), day, result))
    problems.raise_if_any()
    if not checked:
        raise InputError.single("the file has no answers", reader.source)
    replaced = _write_responses(session, round_.id, checked)
    record_import(session, IMPORT_ANSWERS, path, reader.rows_read, len(checked), scope=round_.name)
    return AnswersImported(
        round_.name, reader.source, reader.rows_read, len(checked), replaced, created
    )
