"""The task preference map, personas and playbooks: the round's answers in, gate-cleared
figures out (and the report's section of them).

How the privacy gate is applied, in order:

1. the scope's respondents (organisation, a function, or a team and the teams below it) are
   split by function in one `PrivacyGate.breakdown`: a function below k is hidden, and so is
   one whose figures could be derived by subtraction (complementary suppression), or that is
   too close to a set this viewer already saw (differencing, rule 3);
2. each shown function is split by team in a second breakdown, and into personas in a third;
3. free-text tasks are shown only when at least `min_comment_group_size` people of the shown
   function named them (through `PrivacyGate.comments`, like comments), and their figures
   pass the differencing check on their own respondent set.

Every catalogue task of a function is answered by every respondent of it (answers.py), so a
task's figures describe exactly the respondent set the gate released.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.friction.figures import most_common_label
from gaplens.friction.service import complete_months
from gaplens.metrics.schemas import MetricScope
from gaplens.perception.filters import team_subtree
from gaplens.privacy import Comment, PrivacyGate, PrivacyPolicy, QueryRefused
from gaplens.scorecard.schemas import Scorecard
from gaplens.scorecard.service import scorecard
from gaplens.tasks.figures import (
    FREE_PREFIX,
    RANKING_RULES,
    AnswerFact,
    TaskMeta,
    by_task,
    ranked_figures,
    share,
    task_figure,
    task_point,
)
from gaplens.tasks.models import RoundTask, TaskResponse, TaskRound
from gaplens.tasks.personas import (
    DEFAULT_SEED,
    MIN_SILHOUETTE,
    NULL_MARGIN,
    Clustering,
    DefiningTask,
    cluster_stances,
    defining_tasks,
    persona_name,
    stance_matrix,
)
from gaplens.tasks.playbook import (
    TaskInfo,
    UseCaseInfo,
    metric_suggestions,
    use_case_matches,
)
from gaplens.tasks.queries import RoundData, load_round
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
FREE_SEED = 104729
SCORECARD_MONTHS = 12
PERSONA_RULES = [
    "Each respondent is a vector of stances on the function's catalogue tasks "
    "(keep = +1, neither = 0, hate = −1).",
    "k-means for k = 2 to 6 (never more clusters than the group can fill with k people "
    "each); the k with the best silhouette is kept. It counts as structure only at a "
    f"silhouette of {MIN_SILHOUETTE} or more that beats by {NULL_MARGIN} what the same k "
    "reaches on the answers shuffled task by task; otherwise everyone is one persona.",
    "Clusters smaller than the privacy threshold are folded into the nearest persona; "
    "personas then pass the privacy gate like any group, and a withheld one is counted.",
    "A persona is named from its defining tasks: those most of its members hate (or keep), "
    "at least 15 points more often than the whole function.",
    "Its playbook: its top tasks to augment and to keep, the scorecard use cases matching "
    "them (docs/tasks.md), and registry metrics to measure.",
]


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
class Released:
    """A function group the gate released, with what its figures need."""

    function: str
    members: frozenset[str]
    facts: list[AnswerFact]
    meta: dict[str, TaskMeta]
    info: dict[str, TaskInfo]
    tasks: list[str]


def _round(session: Session, name: str | None) -> TaskRound | None:
    """The named round (InputError if unknown), or the latest; None when there is none yet,
    so the pages can say how to start one."""
    if not name and session.scalar(select(TaskRound.id).limit(1)) is None:
        return None
    return find_round(session, name)


def _load(
    session: Session,
    round_: TaskRound,
    scope: TaskScope,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> RoundData:
    team_ids = team_subtree(session, scope.team) if scope.team else None
    return load_round(
        session, round_.id, team_ids=team_ids, function=scope.function, start=start, end=end
    )


def _released_functions(
    session: Session,
    round_: TaskRound,
    data: RoundData,
    gate: PrivacyGate,
    viewer: str,
) -> tuple[list[Released], int]:
    """Step 1: the functions of the scope the gate shows (raises QueryRefused when the
    scope itself would enable differencing)."""
    parent = frozenset(data.respondents)
    cells: dict[str, set[str]] = defaultdict(set)
    for respondent in data.respondents.values():
        cells[respondent.function].add(respondent.id)
    decisions = gate.breakdown(viewer, parent, {f: frozenset(ids) for f, ids in cells.items()})
    tasks = round_tasks(session, round_.id)
    released = []
    for function in sorted(cells):
        if not decisions[function].shown:
            continue
        members = frozenset(cells[function])
        released.append(_released(function, members, data, tasks.get(function, [])))
    return released, len(cells) - len(released)


def _released(
    function: str, members: frozenset[str], data: RoundData, tasks: Sequence[RoundTask]
) -> Released:
    facts = data.of(members)
    meta = {t.key: TaskMeta(function, t.label, "catalogue", t.judgement_hint) for t in tasks}
    info = {t.key: TaskInfo(t.key, t.label, tuple(t.use_cases), tuple(t.metrics)) for t in tasks}
    return Released(function, members, facts, meta, info, [t.key for t in tasks])


def _catalogue_facts(facts: Sequence[AnswerFact]) -> list[AnswerFact]:
    return [f for f in facts if not f.task.startswith(FREE_PREFIX)]


def _tag(task: str, function: str, member: str) -> str:
    """A free task's respondent as the auditor sees it: apart from every other set, and
    short enough for the audit table (32 characters)."""
    return hashlib.sha256(f"{function}\n{task}\n{member}".encode()).hexdigest()[:32]


def _free_tasks(
    group: Released, data: RoundData, gate: PrivacyGate, viewer: str
) -> tuple[list[TaskFigure], int]:
    """Free tasks named by enough people of the group, like comments; the rest stay unnamed."""
    shown: list[TaskFigure] = []
    withheld = 0
    policy = gate.policy
    free = by_task(f for f in group.facts if f.task.startswith(FREE_PREFIX))
    for task, facts in sorted(free.items()):
        namers = frozenset(f.response for f in facts)
        tagged = frozenset(_tag(task, group.function, rid) for rid in namers)
        comments = [Comment(f.label, data.respondents[f.response].answered_on) for f in facts]
        try:
            released = gate.comments(viewer, tagged, comments, seed=FREE_SEED)
            if released is not None and not gate.release_group(viewer, tagged):
                released = None
        except QueryRefused:
            released = None
        if released is None or len(namers) < policy.min_comment_group_size:
            withheld += 1
            continue
        label = most_common_label([c.text for c in released])
        meta = TaskMeta(group.function, label, "free")
        shown.append(task_figure(task_point(task, facts), facts, meta))
    shown.sort(key=lambda t: (-t.augmentation_score, t.label))
    return shown, withheld


def _teams(
    session: Session, group: Released, data: RoundData, gate: PrivacyGate, viewer: str
) -> tuple[list[GroupMap], int]:
    """Step 2: the function split by the team each respondent named."""
    cells: dict[str, set[str]] = defaultdict(set)
    for rid in group.members:
        team = data.respondents[rid].team
        if team is not None:
            cells[team].add(rid)
    if not cells:
        return [], 0
    decisions = gate.breakdown(
        viewer, group.members, {team: frozenset(ids) for team, ids in cells.items()}
    )
    query = select(Team.key, Team.name).where(Team.key.in_(list(cells)))
    names: dict[str, str] = {key: name for key, name in session.execute(query)}
    teams = []
    for team in sorted(cells, key=lambda key: (names.get(key, key), key)):
        if not decisions[team].shown:
            continue
        members = frozenset(cells[team])
        candidates, protect = ranked_figures(
            _catalogue_facts(data.of(members)), group.meta, top=TEAM_TOP
        )
        teams.append(
            GroupMap(
                key=team,
                label=names.get(team, team),
                n=len(members),
                candidates=candidates,
                protect=protect,
            )
        )
    return teams, len(cells) - len(teams)


def task_map(
    session: Session,
    round_name: str | None,
    scope: TaskScope,
    *,
    gate: PrivacyGate | None = None,
    viewer: str = SERVICE_VIEWER,
) -> TaskMapView:
    """Ranked augmentation candidates and tasks to protect for the scope, per function and
    per team, with free tasks named by enough people. Pass the web's database-backed gate so
    the per-viewer differencing check holds across views."""
    gate = gate if gate is not None else PrivacyGate(PrivacyPolicy())
    policy = gate.policy
    round_ = _round(session, round_name)
    if round_ is None:
        return TaskMapView(
            round=None,
            scope=scope.describe(),
            n=None,
            min_group_size=policy.min_group_size,
            min_comment_group_size=policy.min_comment_group_size,
            top_candidates=[],
            functions=[],
            hidden_functions=0,
            rules=list(RANKING_RULES),
        )
    data = _load(session, round_, scope)
    released, hidden = _released_functions(session, round_, data, gate, viewer)
    functions = []
    for group in released:
        candidates, protect = ranked_figures(_catalogue_facts(group.facts), group.meta)
        free, withheld = _free_tasks(group, data, gate, viewer)
        teams, hidden_teams = _teams(session, group, data, gate, viewer)
        functions.append(
            FunctionMap(
                function=group.function,
                n=len(group.members),
                candidates=candidates,
                protect=protect,
                free_tasks=free,
                free_tasks_withheld=withheld,
                teams=teams,
                hidden_teams=hidden_teams,
            )
        )
    everyone = [c for f in functions for c in f.candidates]
    everyone.sort(key=lambda t: (-t.augmentation_score, -t.hate.value, t.function, t.label))
    n = len(data.respondents)
    return TaskMapView(
        round=round_.name,
        scope=scope.describe(),
        n=n if gate.count_is_shown(n) else None,
        min_group_size=policy.min_group_size,
        min_comment_group_size=policy.min_comment_group_size,
        top_candidates=everyone[:ORGANISATION_TOP],
        functions=functions,
        hidden_functions=hidden,
        rules=list(RANKING_RULES),
    )


# --- personas and playbooks ---------------------------------------------------------------


def scorecard_window(session: Session, round_: TaskRound) -> tuple[dt.date, dt.date]:
    """The twelve whole months before the round's last answer: the evidence people had."""
    last = session.scalar(
        select(func.max(TaskResponse.answered_on)).where(TaskResponse.round_id == round_.id)
    )
    return complete_months(last or dt.date.today(), SCORECARD_MONTHS)


def scorecard_use_cases(
    session: Session, start: dt.date, end: dt.date, gate: PrivacyGate, viewer: str
) -> list[UseCaseInfo] | None:
    """The scorecard's use cases, or None when the gate refuses it for this viewer."""
    try:
        card = scorecard(session, start, end, gate=gate, viewer=viewer)
    except QueryRefused:
        return None
    return [UseCaseInfo(u.key, u.label, u.status, u.reason) for u in card.use_cases]


def function_personas(
    group: Released,
    gate: PrivacyGate,
    viewer: str,
    use_cases: Sequence[UseCaseInfo],
    seed: int = DEFAULT_SEED,
) -> FunctionPersonas:
    """Step 3: the function's respondents clustered into personas, each released by the
    gate as a cell of the function, each with its playbook."""
    k = gate.policy.min_group_size
    ids = sorted(group.members)
    stances: dict[str, dict[str, str]] = {rid: {} for rid in ids}
    for fact in _catalogue_facts(group.facts):
        stances[fact.response][fact.task] = fact.stance
    rows = [stances[rid] for rid in ids]
    tasks = [t for t in group.tasks if all(t in row for row in rows)]
    if not tasks:
        return FunctionPersonas(
            function=group.function,
            n=len(ids),
            method="no catalogue tasks to cluster on",
            personas=[],
            merged_clusters=0,
            withheld_personas=0,
        )
    clustering = cluster_stances(stance_matrix(rows, tasks), min_size=k, seed=seed)
    members: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(clustering.labels):
        if label >= 0:
            members[f"persona-{label + 1}"].append(index)
    cells = {key: frozenset(ids[i] for i in rows_) for key, rows_ in members.items()}
    decisions = gate.breakdown(viewer, group.members, cells)
    personas: list[Persona] = []
    names: set[str] = set()
    for key in sorted(cells, key=lambda c: int(c.split("-")[1])):
        if not decisions[key].shown:
            continue
        member_rows = [rows[i] for i in members[key]]
        hates = defining_tasks(member_rows, rows, tasks, "hate")
        keeps = defining_tasks(member_rows, rows, tasks, "keep")
        name = persona_name(
            [group.meta[d.task].label for d in hates[:1]],
            [group.meta[d.task].label for d in keeps[:1]],
        )
        if name in names:
            name = f"{name} ({len(personas) + 1})"
        names.add(name)
        personas.append(
            Persona(
                key=key,
                name=name,
                n=len(cells[key]),
                hates=[_persona_task(d, group) for d in hates],
                keeps=[_persona_task(d, group) for d in keeps],
                playbook=_playbook(group, cells[key], use_cases),
            )
        )
    return FunctionPersonas(
        function=group.function,
        n=len(ids),
        method=_method(clustering, len(tasks)),
        personas=personas,
        merged_clusters=clustering.merged,
        withheld_personas=len(cells) - len(personas),
        note=None if personas else f"No persona of at least {k} people can be shown.",
    )


def _method(clustering: Clustering, tasks: int) -> str:
    if not clustering.k_tried:
        return "one persona: too few respondents to split into groups of the threshold size"
    tried = ", ".join(str(t) for t in clustering.k_tried)
    best = f"{clustering.silhouette:.2f}" if clustering.silhouette is not None else "n/a"
    null = f"; shuffled answers reach {clustering.null:.2f}" if clustering.null is not None else ""
    if clustering.k_chosen == 1:
        return (
            f"one persona: no clear group structure in {tasks} task stances "
            f"(best silhouette {best}{null}; k tried: {tried})"
        )
    return (
        f"k-means on {tasks} task stances, k = {clustering.k_chosen} by silhouette {best}"
        f"{null} (k tried: {tried})"
    )


def _persona_task(defining: DefiningTask, group: Released) -> PersonaTask:
    return PersonaTask(
        key=defining.task,
        label=group.meta[defining.task].label,
        share=share(defining.count, defining.n),
        function_share=round(defining.base_share, 4),
    )


def _playbook(
    group: Released, members: frozenset[str], use_cases: Sequence[UseCaseInfo]
) -> Playbook:
    facts = _catalogue_facts([f for f in group.facts if f.response in members])
    augment, keep = ranked_figures(facts, group.meta, top=PLAYBOOK_TOP)
    return Playbook(
        augment=augment,
        keep=keep,
        use_cases=use_case_matches([*augment, *keep], group.info, use_cases),
        measure=metric_suggestions(group.function, augment, group.info),
    )


def personas_view(
    session: Session,
    round_name: str | None,
    scope: TaskScope,
    *,
    gate: PrivacyGate | None = None,
    viewer: str = SERVICE_VIEWER,
    seed: int = DEFAULT_SEED,
) -> PersonasView:
    """Personas per function of the scope, each with its playbook."""
    gate = gate if gate is not None else PrivacyGate(PrivacyPolicy())
    round_ = _round(session, round_name)
    if round_ is None:
        start, end = complete_months(dt.date.today(), SCORECARD_MONTHS)
        return PersonasView(
            round=None,
            scope=scope.describe(),
            min_group_size=gate.policy.min_group_size,
            scorecard_from=start,
            scorecard_to=end,
            functions=[],
            hidden_functions=0,
            rules=list(PERSONA_RULES),
        )
    data = _load(session, round_, scope)
    released, hidden = _released_functions(session, round_, data, gate, viewer)
    start, end = scorecard_window(session, round_)
    use_cases = scorecard_use_cases(session, start, end, gate, viewer) if released else []
    functions = [function_personas(g, gate, viewer, use_cases or [], seed) for g in released]
    rules = list(PERSONA_RULES)
    if use_cases is None:
        rules.append(
            "The scorecard is withheld from this view: it differs from one you already saw "
            "by too few entries."
        )
    return PersonasView(
        round=round_.name,
        scope=scope.describe(),
        min_group_size=gate.policy.min_group_size,
        scorecard_from=start,
        scorecard_to=end,
        functions=functions,
        hidden_functions=hidden,
        rules=rules,
    )


# --- the report ---------------------------------------------------------------------------


def report_section(
    session: Session,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
    *,
    gate: PrivacyGate,
    viewer: str,
    card: Scorecard | None = None,
) -> TaskMapSection | None:
    """The latest round with answers in [start, end], for the scope, gate-cleared; None when
    there is none. Tasks answers carry no organisation (one organisation per store), so
    `scope.organisation_id` narrows nothing here.

    Candidates and personas are matched against the organisation's scorecard for the
    report's period: `card` when the report already built it (the organisation's report: one
    document, one verdict per use case, nothing released twice), else built here through the
    same gate (a narrowed report's own scorecard holds only its teams' entries, which would
    hide tools the rest of the organisation uses).

    Every group goes through the report's gate for its viewer with the members the staff
    map uses (task response ids), so a staff export and a task-map page are compared by the
    differencing check; a scope the check refuses keeps the section with no figures
    (`status` "suppressed" and the reason), as the report treats any refused part."""
    del policy  # the gate carries it
    round_ = session.scalars(
        select(TaskRound)
        .join(TaskResponse, TaskResponse.round_id == TaskRound.id)
        .where(TaskResponse.answered_on >= start, TaskResponse.answered_on <= end)
        .order_by(TaskRound.id.desc())
        .limit(1)
    ).first()
    if round_ is None:
        return None
    team_key = None
    if scope.team_id is not None:
        team_key = session.scalar(select(Team.key).where(Team.id == scope.team_id))
    task_scope = TaskScope(function=scope.function, team=team_key)
    data = _load(session, round_, task_scope, start, end)
    if not gate.count_is_shown(len(data.respondents)):
        return None
    base = {
        "round": round_.name,
        "period_from": start,
        "period_to": end,
        "rules": [*RANKING_RULES, *PERSONA_RULES],
    }
    try:
        released, hidden = _released_functions(session, round_, data, gate, viewer)
    except QueryRefused as refused:
        return TaskMapSection(
            **base,
            status="suppressed",
            reason=str(refused),
            respondents=None,
            functions=[],
            hidden_functions=0,
        )
    if card is not None:
        use_cases: list[UseCaseInfo] | None = [
            UseCaseInfo(u.key, u.label, u.status, u.reason) for u in card.use_cases
        ]
    else:
        use_cases = scorecard_use_cases(session, start, end, gate, viewer)
    functions = []
    for group in released:
        candidates, protect = ranked_figures(
            _catalogue_facts(group.facts), group.meta, top=REPORT_TOP
        )
        free, _ = _free_tasks(group, data, gate, viewer)
        found = function_personas(group, gate, viewer, use_cases or [])
        functions.append(
            ReportFunction(
                function=group.function,
                n=len(group.members),
                candidates=candidates,
                protect=protect,
                free_tasks=free[:REPORT_TOP],
                personas=[_report_persona(p) for p in found.personas],
                candidate_use_cases=use_case_matches(candidates, group.info, use_cases or []),
            )
        )
    return TaskMapSection(
        **base,
        respondents=len(data.respondents),
        functions=functions,
        hidden_functions=hidden,
        use_cases_known=use_cases is not None,
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
