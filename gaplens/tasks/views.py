"""The task preference map, personas and playbooks: figures read from the round's release
(and the report's section of them).

Nothing here reads an answer. A round's release (`gaplens/releases/tasks/`) publishes, per
task, stance, hours-lost bins and judgement counts over groups of at least k respondents
(never all alike), personas as a dimension of those groups, and free-typed tasks that at
least `min_comment_group_size` people of a function named. Every view here sums the
released groups inside the cell it shows, so two viewers asking the same thing get the same
figures, the order of requests does not matter, and no set of views can split a group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.friction.service import released_months
from gaplens.metrics.schemas import MetricScope
from gaplens.privacy import PrivacyPolicy
from gaplens.privacy.recoding import Code
from gaplens.releases.models import Release
from gaplens.releases.tasks.queries import (
    Predicate,
    TaskRelease,
    latest_round_release,
    load_task_release,
    task_cell,
)
from gaplens.releases.tasks.service import dataset_of
from gaplens.scorecard.schemas import Scorecard
from gaplens.scorecard.service import scorecard
from gaplens.sections import SectionContext, section
from gaplens.tasks.figures import (
    FREE_PREFIX,
    RANKING_RULES,
    RELEASED_RULES,
    Counted,
    TaskMeta,
    counted_figure,
    counted_point,
    ranked_counted,
    share,
)
from gaplens.tasks.models import STANCES, RoundTask, TaskRound
from gaplens.tasks.personas import (
    MIN_SILHOUETTE,
    NULL_MARGIN,
    DefiningTask,
    defining_counted,
    persona_name,
)
from gaplens.tasks.playbook import (
    TaskInfo,
    UseCaseInfo,
    metric_suggestions,
    use_case_matches,
)
from gaplens.tasks.schemas import (
    FunctionMap,
    FunctionPersonas,
    GroupMap,
    Persona,
    PersonasView,
    PersonaTask,
    Playbook,
    ReportFunction,
    ReportPersona,
    TaskFigure,
    TaskMapSection,
    TaskMapView,
)
from gaplens.tasks.service import find_round, round_tasks

SERVICE_VIEWER = "service"
TEAM_TOP = 3
ORGANISATION_TOP = 10
PLAYBOOK_TOP = 3
REPORT_TOP = 3
SCORECARD_MONTHS = 12
MAP_RULES = [
    *RANKING_RULES,
    *RELEASED_RULES,
    "Figures come from the round's release: groups of at least k respondents sharing a team "
    "(or a parent team) and function; a task is shown for a group only when at least k "
    "answered it and their answers are not all alike, else it counts in a broader group.",
    "Tasks people typed themselves are named only when at least the comment threshold of "
    "people of the function named them, and those who did not are none or at least k.",
]
PERSONA_RULES = [
    "Each respondent is a vector of stances on the function's catalogue tasks "
    "(keep = +1, neither = 0, hate = −1).",
    "k-means for k = 2 to 6 (never more clusters than the group can fill with k people "
    "each); the k with the best silhouette is kept. It counts as structure only at a "
    f"silhouette of {MIN_SILHOUETTE} or more that beats by {NULL_MARGIN} what the same k "
    "reaches on the answers shuffled task by task; otherwise everyone is one persona.",
    "A persona is published like a team: only in groups of at least k who share team, "
    "function and persona; people whose group is smaller count in their function's "
    "figures but in no persona.",
    "A persona is named from its defining tasks: those most of its members hate (or keep), "
    "at least 15 points more often than the whole function.",
    "Its playbook: its top tasks to augment and to keep, the scorecard use cases matching "
    "them, and registry metrics to measure.",
]
NOT_RELEASED = (
    "Nothing is released for this round yet: figures appear once a day's answers are over "
    "and at least {k} respondents of a function can be shown together."
)
NOTHING_IN_SCOPE = "No released group of at least {k} respondents lies inside this scope."


@dataclass(frozen=True)
class TaskScope:
    """Whom a view is about: everyone, one function, or a team and the teams below it."""

    function: str | None = None
    team: str | None = None

    def __post_init__(self) -> None:
        if self.function and self.team:
            raise InputError.single("choose a function or a team, not both", column="team")

    def describe(self) -> str:
        if self.team:
            return f"team {self.team} and the teams below it"
        if self.function:
            return f"function {self.function}"
        return "whole organisation"


@dataclass(frozen=True)
class Cell:
    """One function inside the scope, as a release cell, with its round tasks."""

    function: str
    inside: Predicate
    n: int
    tasks: list[RoundTask]

    @property
    def meta(self) -> dict[str, TaskMeta]:
        return {
            t.key: TaskMeta(self.function, t.label, "catalogue", t.judgement_hint)
            for t in self.tasks
        }

    @property
    def info(self) -> dict[str, TaskInfo]:
        return {
            t.key: TaskInfo(t.key, t.label, tuple(t.use_cases), tuple(t.metrics))
            for t in self.tasks
        }


def _round(session: Session, name: str | None) -> TaskRound | None:
    """The named round (InputError if unknown), or the latest; None when there is none yet,
    so the pages can say how to start one."""
    if not name and session.scalar(select(TaskRound.id).limit(1)) is None:
        return None
    return find_round(session, name)


def _scope_cell(session: Session, release: TaskRelease, scope: TaskScope) -> Predicate:
    team_id = None
    if scope.team:
        team_id = session.scalar(select(Team.id).where(Team.key == scope.team))
        if team_id is None:
            raise InputError.single(f"unknown team '{scope.team[:40]}'", column="team")
    return task_cell(release.tree, function=scope.function or None, team=team_id)


def _cells(
    session: Session, round_: TaskRound, release: TaskRelease, scope: Predicate
) -> list[Cell]:
    tasks = round_tasks(session, round_.id)
    functions = sorted({c.function for c in release.codes(scope) if c.function is not None})
    cells = []
    for function in functions:

        def inside(code: Code, function: str = function) -> bool:
            return code.function == function and scope(code)

        cells.append(
            Cell(function, inside, release.respondents(inside), list(tasks.get(function, [])))
        )
    return cells


def _hidden(session: Session, round_: TaskRound, cells: Sequence[Cell], scope: TaskScope) -> int:
    """Functions of the round with no released group (only said without a team scope, where
    the round's functions are the ones asked about)."""
    if scope.team:
        return 0
    asked = [f for f, t in round_tasks(session, round_.id).items() if t]
    if scope.function:
        asked = [f for f in asked if f == scope.function]
    return len(set(asked) - {c.function for c in cells})


def _counted(release: TaskRelease, cell: Cell, inside: Predicate) -> dict[str, Counted]:
    found = {}
    for task in cell.tasks:
        counts = release.task(task.id, inside)
        if counts is not None:
            found[task.key] = Counted(counts.n, counts.stance, counts.hours, counts.judgement)
    return found


def _free_tasks(release: TaskRelease, cell: Cell) -> list[TaskFigure]:
    shown = []
    for free in release.free:
        if free.function != cell.function:
            continue
        counts = release.free_task(free, cell.inside)
        if counts is None:
            continue
        counted = Counted(counts.n, counts.stance, counts.hours, counts.judgement)
        key = FREE_PREFIX + free.key
        point = counted_point(key, counted)
        shown.append(counted_figure(point, counted, TaskMeta(cell.function, free.label, "free")))
    shown.sort(key=lambda t: (-t.augmentation_score, t.label))
    return shown


def _teams(session: Session, release: TaskRelease, cell: Cell) -> list[GroupMap]:
    """The function's teams that hold released groups: each the sum of the groups at that
    team or below it (a group generalised to a parent counts only at the parent)."""
    ids = {c.team for c in release.codes(cell.inside) if c.team is not None}
    if not ids:
        return []
    names = {
        team_id: (key, name)
        for team_id, key, name in session.execute(
            select(Team.id, Team.key, Team.name).where(Team.id.in_(ids))
        )
    }
    teams = []
    for team_id in sorted(ids, key=lambda i: (names[i][1], names[i][0])):

        def inside(code: Code, team_id: int = team_id) -> bool:
            return cell.inside(code) and task_cell(release.tree, team=team_id)(code)

        candidates, protect = ranked_counted(
            _counted(release, cell, inside), cell.meta, top=TEAM_TOP
        )
        key, name = names[team_id]
        teams.append(
            GroupMap(
                key=key,
                label=name,
                n=release.respondents(inside),
                candidates=candidates,
                protect=protect,
            )
        )
    return teams


def task_map(
    session: Session,
    round_name: str | None,
    scope: TaskScope,
    *,
    policy: PrivacyPolicy | None = None,
) -> TaskMapView:
    """Ranked augmentation candidates and tasks to protect for the scope, per function and
    per team, with free tasks named by enough people: all from the round's latest release."""
    policy = policy or PrivacyPolicy()
    round_ = _round(session, round_name)
    base = {
        "scope": scope.describe(),
        "min_group_size": policy.min_group_size,
        "min_comment_group_size": policy.min_comment_group_size,
        "rules": list(MAP_RULES),
    }
    if round_ is None:
        return TaskMapView(
            round=None, n=None, top_candidates=[], functions=[], hidden_functions=0, **base
        )
    release = latest_round_release(session, round_)
    if release is None:
        return TaskMapView(
            round=round_.name,
            n=None,
            top_candidates=[],
            functions=[],
            hidden_functions=0,
            note=NOT_RELEASED.format(k=policy.min_group_size),
            **base,
        )
    in_scope = _scope_cell(session, release, scope)
    cells = _cells(session, round_, release, in_scope)
    functions = []
    for cell in cells:
        counted = _counted(release, cell, cell.inside)
        candidates, protect = ranked_counted(counted, cell.meta)
        functions.append(
            FunctionMap(
                function=cell.function,
                n=cell.n,
                candidates=candidates,
                protect=protect,
                free_tasks=_free_tasks(release, cell),
                withheld_tasks=[t.label for t in cell.tasks if t.key not in counted],
                teams=_teams(session, release, cell),
            )
        )
    everyone = [c for f in functions for c in f.candidates]
    everyone.sort(key=lambda t: (-t.augmentation_score, -t.hate.value, t.function, t.label))
    n = release.respondents(in_scope)
    return TaskMapView(
        round=round_.name,
        n=n or None,
        top_candidates=everyone[:ORGANISATION_TOP],
        functions=functions,
        hidden_functions=_hidden(session, round_, cells, scope),
        answers_through=release.answers_through,
        note=None if n else NOTHING_IN_SCOPE.format(k=release.min_group_size),
        **base,
    )


# --- personas and playbooks ---------------------------------------------------------------


def scorecard_window(release: TaskRelease | None) -> tuple[dt.date, dt.date]:
    """The twelve whole published months (runs of ISO weeks) before the release's answers
    end: the evidence people had, as the friction release publishes it."""
    answers_end = release.answers_through if release else dt.date.today()
    return released_months(answers_end + dt.timedelta(days=1), SCORECARD_MONTHS)


def scorecard_use_cases(session: Session, start: dt.date, end: dt.date) -> list[UseCaseInfo]:
    """The scorecard's use cases (only its verdicts per use case are used here), read from
    the friction release: the same for every viewer."""
    card = scorecard(session, start, end)
    return [UseCaseInfo(u.key, u.label, u.status, u.reason) for u in card.use_cases]


def _stance_counts(counted: dict[str, Counted], stance: str) -> dict[str, tuple[int, int]]:
    index = STANCES.index(stance)
    return {task: (c.stance[index], c.n) for task, c in counted.items()}


def function_personas(
    release: TaskRelease, cell: Cell, use_cases: Sequence[UseCaseInfo]
) -> FunctionPersonas:
    """The function's released personas, each with its playbook: a persona is the sum of
    the released groups of the cell that kept it (each of at least k)."""
    k = release.min_group_size
    method = release.methods.get(cell.function)
    if method is None:
        return FunctionPersonas(
            function=cell.function,
            n=cell.n,
            method="no personas: too few respondents with every catalogue task answered",
            personas=[],
            note=f"No persona of at least {k} people can be shown.",
        )
    keys = sorted(
        {c.role for c in release.codes(cell.inside) if c.role is not None},
        key=lambda key: int(key.split("-")[1]),
    )
    everyone = _counted(release, cell, cell.inside)
    cells: list[tuple[str, Predicate]] = []
    if method.startswith("one persona"):
        cells = [("persona-1", cell.inside)]
    for key in keys:
        cells.append((key, _persona_cell(cell, key)))
    personas: list[Persona] = []
    names: set[str] = set()
    for key, inside in cells:
        counted = _counted(release, cell, inside)
        hates = defining_counted(_stance_counts(counted, "hate"), _stance_counts(everyone, "hate"))
        keeps = defining_counted(_stance_counts(counted, "keep"), _stance_counts(everyone, "keep"))
        meta = cell.meta
        name = persona_name(
            [meta[d.task].label for d in hates[:1]], [meta[d.task].label for d in keeps[:1]]
        )
        if not counted:
            # Every task's answers in this persona are all alike somewhere, so none is
            # published at persona level: describing it would tell each member's answers.
            name = f"Persona {key.split('-')[1]}: answered too much alike to describe"
        if name in names:
            name = f"{name} ({len(personas) + 1})"
        names.add(name)
        personas.append(
            Persona(
                key=key,
                name=name,
                n=release.respondents(inside),
                hates=[_persona_task(d, meta) for d in hates],
                keeps=[_persona_task(d, meta) for d in keeps],
                playbook=_playbook(cell, counted, use_cases),
            )
        )
    note = None
    if not personas:
        note = (
            f"The answers split into personas, but no team group of at least {k} people "
            "shares one, so none can be shown."
        )
    return FunctionPersonas(
        function=cell.function, n=cell.n, method=method, personas=personas, note=note
    )


def _persona_cell(cell: Cell, persona: str) -> Predicate:
    def inside(code: Code) -> bool:
        return cell.inside(code) and code.role == persona

    return inside


def _persona_task(defining: DefiningTask, meta: dict[str, TaskMeta]) -> PersonaTask:
    return PersonaTask(
        key=defining.task,
        label=meta[defining.task].label,
        share=share(defining.count, defining.n),
        function_share=round(defining.base_share, 4),
    )


def _playbook(
    cell: Cell, counted: dict[str, Counted], use_cases: Sequence[UseCaseInfo]
) -> Playbook:
    augment, keep = ranked_counted(counted, cell.meta, top=PLAYBOOK_TOP)
    return Playbook(
        augment=augment,
        keep=keep,
        use_cases=use_case_matches([*augment, *keep], cell.info, use_cases),
        measure=metric_suggestions(cell.function, augment, cell.info),
    )


def personas_view(
    session: Session,
    round_name: str | None,
    scope: TaskScope,
    *,
    policy: PrivacyPolicy | None = None,
) -> PersonasView:
    """Personas per function of the scope from the round's release, each with its
    playbook (use cases from the scorecard, read from the friction release)."""
    policy = policy or PrivacyPolicy()
    round_ = _round(session, round_name)
    release = None if round_ is None else latest_round_release(session, round_)
    start, end = scorecard_window(release)
    base = {
        "scope": scope.describe(),
        "min_group_size": policy.min_group_size,
        "scorecard_from": start,
        "scorecard_to": end,
    }
    if round_ is None or release is None:
        return PersonasView(
            round=None if round_ is None else round_.name,
            functions=[],
            hidden_functions=0,
            rules=list(PERSONA_RULES),
            note=None if round_ is None else NOT_RELEASED.format(k=policy.min_group_size),
            **base,
        )
    cells = _cells(session, round_, release, _scope_cell(session, release, scope))
    use_cases = scorecard_use_cases(session, start, end) if cells else []
    return PersonasView(
        round=round_.name,
        functions=[function_personas(release, cell, use_cases) for cell in cells],
        hidden_functions=_hidden(session, round_, cells, scope),
        rules=list(PERSONA_RULES),
        answers_through=release.answers_through,
        note=None if cells else NOTHING_IN_SCOPE.format(k=release.min_group_size),
        **base,
    )


# --- the report ---------------------------------------------------------------------------


def _report_release(
    session: Session, start: dt.date, end: dt.date
) -> tuple[TaskRound, TaskRelease] | None:
    """The latest round with a release whose answers end inside [start, end], and that
    release (its latest one there)."""
    for round_ in session.scalars(select(TaskRound).order_by(TaskRound.id.desc())):
        release = session.scalars(
            select(Release)
            .where(
                Release.dataset == dataset_of(round_),
                Release.answers_through >= start,
                Release.answers_through <= end,
            )
            .order_by(Release.seq.desc())
            .limit(1)
        ).first()
        if release is not None:
            return round_, load_task_release(session, round_, release)
    return None


@section("tasks", title="Tasks", order=40)
def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    context: SectionContext | None = None,
) -> TaskMapSection | None:
    """The latest round released in [start, end], for the scope, read from its release;
    None when there is none. Task answers carry no organisation (one organisation per
    store), so `scope.organisation_id` narrows nothing here.

    The figures are the release's, the same for every report and page. Candidates and
    personas are matched against the organisation's scorecard for the report's period: the
    report's (`context.scorecard`) when the report is the organisation's, else read here
    from the friction release."""
    del policy  # the releases carry their own threshold
    organisation = scope.team_id is None and scope.function is None
    card: Scorecard | None = context.scorecard if context and organisation else None
    found = _report_release(session, start, end)
    if found is None:
        return None
    round_, release = found
    team_key = None
    if scope.team_id is not None:
        team_key = session.scalar(select(Team.key).where(Team.id == scope.team_id))
    task_scope = TaskScope(function=scope.function, team=team_key)
    in_scope = _scope_cell(session, release, task_scope)
    respondents = release.respondents(in_scope)
    if not respondents:
        return None
    if card is not None:
        use_cases = [UseCaseInfo(u.key, u.label, u.status, u.reason) for u in card.use_cases]
    else:
        use_cases = scorecard_use_cases(session, start, end)
    cells = _cells(session, round_, release, in_scope)
    functions = []
    for cell in cells:
        candidates, protect = ranked_counted(
            _counted(release, cell, cell.inside), cell.meta, top=REPORT_TOP
        )
        found_personas = function_personas(release, cell, use_cases)
        functions.append(
            ReportFunction(
                function=cell.function,
                n=cell.n,
                candidates=candidates,
                protect=protect,
                free_tasks=_free_tasks(release, cell)[:REPORT_TOP],
                personas=[_report_persona(p) for p in found_personas.personas],
                candidate_use_cases=use_case_matches(candidates, cell.info, use_cases),
            )
        )
    return TaskMapSection(
        round=round_.name,
        period_from=start,
        period_to=end,
        rules=[*MAP_RULES, *PERSONA_RULES],
        respondents=respondents,
        functions=functions,
        hidden_functions=_hidden(session, round_, cells, task_scope),
        use_cases_known=True,
        answers_through=release.answers_through,
    )


def _report_persona(persona: Persona) -> ReportPersona:
    book = persona.playbook
    return ReportPersona(
        name=persona.name,
        n=persona.n,
        augment=[t.label for t in book.augment],
        keep=[t.label for t in book.keep],
        use_cases=[f"{m.task_label}: {m.advice}" for m in book.use_cases],
        measure=[m.label for m in book.measure],
    )
