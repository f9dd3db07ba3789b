"""Building a task round's release: the one place that reads task answers for figures.

A task-map release is built when a round's answers change (an import of task answers,
`gaplens release build`), never per request, so every viewer reads the same cells whatever
they ask first. Answers enter only once their day is over; a later release keeps every
earlier class and histogram group whole or adds at least k to it (`by_part`), so watching
releases arrive shows groups of at least k new respondents, never one.

The code of a respondent is (team, function, persona). Generalisation drops the persona
first (the task map's team breakdown matters more), then climbs the team tree, then drops the
team; the function is never dropped: a function's tasks are its own, so a function with
fewer than k respondents is withheld whole. Every class therefore lies in one function, and
every member of a class answered every catalogue task of that function: a task's histogram
over a union of classes covers exactly those classes' members.

Per catalogue task, the stance, hours-lost bin and judgement histograms share one grouping:
merged up the same lattice until each group (and each earlier group's share of it) has at
least k answers and is not all alike in any of the three. A free-typed task is published at
function level only, when at least `min_comment_group_size` distinct respondents of the
function's released groups named it, those who did not are none or at least k, and the
same holds for each earlier release's share (so neither who named it nor who did not can be
narrowed to fewer than k).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.friction.figures import most_common_label, use_case_key
from gaplens.privacy.binning import BIN_COUNT, number_bin
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import Code, TeamTree, answers_ok, coarsen, whole
from gaplens.releases.models import (
    Release,
    ReleaseHistogram,
    ReleaseNote,
)
from gaplens.releases.service import (
    ALL_WITHHELD,
    BuildOutcome,
    class_members,
    earlier_classes,
    open_release,
    previous_releases,
    team_tree,
)
from gaplens.releases.tasks.models import FREE_TASK, PERSONAS, TaskReleaseText
from gaplens.tasks.models import STANCES, RoundTask, TaskAnswer, TaskResponse, TaskRound
from gaplens.tasks.personas import DEFAULT_SEED, cluster_stances, stance_matrix

SERIES = ("stance", "hours", "judgement")
WIDTH = {"stance": len(STANCES), "hours": BIN_COUNT, "judgement": 5}
"""Values per series: stance in STANCES order, hours as fixed bins, judgement 1-5."""
STANCE_INDEX = {stance: index for index, stance in enumerate(STANCES)}
Values = tuple[int, int, int]
"""One answer as released values: (stance index, hours bin, judgement - 1)."""


def dataset_of(round_: TaskRound) -> str:
    return f"tasks:{round_.id}"


def task_question(task_id: int, series: str) -> str:
    """The histogram name of a catalogue task's series (`RoundTask.id` is stable)."""
    return f"t{task_id}.{series}"


def free_question(text_id: int, series: str) -> str:
    return f"free{text_id}.{series}"


@dataclass(frozen=True)
class TaskLattice:
    """(team, function, persona) codes: persona first, then up the team tree, then the team;
    never the function (its tasks are its own). The persona sits in `Code.role`."""

    tree: TeamTree

    def up(self, code: Code) -> Code | None:
        if code.role is not None:
            return Code(code.team, code.function)
        if code.team is not None:
            return Code(self.tree.parents.get(code.team), code.function)
        return None

    def rank(self, code: Code) -> int:
        team = 0 if code.team is None else self.tree.depth(code.team) + 1
        return team + (code.role is not None)

    def key(self, code: Code) -> tuple[str, ...]:
        return code.key()


@dataclass
class _Respondent:
    code: Code
    day: dt.date
    signature: tuple[int, ...]
    tasks: dict[str, Values]
    """Catalogue task key -> values."""
    free: dict[str, tuple[str, Values]]
    """Folded free-task key -> (label as typed, values)."""


def build_task_release(
    session: Session,
    round_: TaskRound,
    policy: PrivacyPolicy | None = None,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> BuildOutcome:
    """Publish a new release of the round if the answers of completed days allow one.

    Nothing is written unless a release results; the caller's session owns the commit.
    """
    policy = policy or PrivacyPolicy()
    cutoff = today or dt.date.today()
    k = policy.min_group_size
    dataset = dataset_of(round_)
    previous = previous_releases(session, dataset)
    tasks = _round_tasks(session, round_)
    respondents = _respondents(session, round_, cutoff, previous)
    if previous and all(any(r.signature) for r in respondents.values()):
        return BuildOutcome(None, "No new answers since the last release.")
    methods = _assign_personas(respondents, tasks, k)
    lattice = TaskLattice(team_tree(session))
    opened = open_release(
        session,
        dataset=dataset,
        previous=previous,
        contributors={rid: (r.code, r.signature, r.day) for rid, r in respondents.items()},
        lattice=lattice,
        k=k,
        cutoff=cutoff,
        now=now,
        noun="respondents",
    )
    if isinstance(opened, BuildOutcome):
        return opened
    release, rows, class_of = opened.release, opened.rows, opened.class_of
    code_of_class = {row.id: code for code, row in rows.items()}
    earlier = _earlier_groups(session, previous)
    functions = sorted({code.function for code in rows if code.function is not None})
    for function in functions:
        members: dict[int, list[str]] = defaultdict(list)
        for rid, class_id in class_of.items():
            if respondents[rid].code.function == function:
                members[class_id].append(rid)
        for task in tasks.get(function, ()):
            _catalogue_task(
                session, release, task, members, code_of_class, respondents, earlier, lattice, k
            )
        _free_tasks(session, release, function, members, respondents, earlier, policy)
        if function in methods:
            session.add(
                TaskReleaseText(
                    release_id=release.id,
                    function=function,
                    kind=PERSONAS,
                    key="",
                    text=methods[function],
                )
            )
    session.flush()
    return BuildOutcome(
        release,
        f"Release {release.seq} of task map {round_.name}: {release.included} respondents "
        f"in {len(rows)} groups of at least {k}.",
    )


def _round_tasks(session: Session, round_: TaskRound) -> dict[str, list[RoundTask]]:
    found: dict[str, list[RoundTask]] = defaultdict(list)
    for task in session.scalars(
        select(RoundTask)
        .where(RoundTask.round_id == round_.id)
        .order_by(RoundTask.function, RoundTask.position, RoundTask.key)
    ):
        found[task.function].append(task)
    return dict(found)


def _values(stance: str, hours: float, judgement: int) -> Values:
    return STANCE_INDEX[stance], number_bin(float(hours)), int(judgement) - 1


def _respondents(
    session: Session, round_: TaskRound, cutoff: dt.date, previous: Sequence[Release]
) -> dict[str, _Respondent]:
    """Respondents of completed days with their finest code (no persona yet), their earlier
    classes and their answers as released values."""
    earlier = earlier_classes(session, previous)
    nowhere = (0,) * len(previous)
    where = (TaskResponse.round_id == round_.id, TaskResponse.answered_on < cutoff)
    found = {
        rid: _Respondent(
            Code(team, function),
            day,
            earlier.get(rid, nowhere),
            {},
            {},
        )
        for rid, team, function, day in session.execute(
            select(
                TaskResponse.id,
                TaskResponse.team_id,
                TaskResponse.function,
                TaskResponse.answered_on,
            ).where(*where)
        )
    }
    for rid, key, label, stance, hours, judgement in session.execute(
        select(
            TaskAnswer.response_id,
            TaskAnswer.task_key,
            TaskAnswer.free_label,
            TaskAnswer.stance,
            TaskAnswer.hours_lost,
            TaskAnswer.judgement,
        )
        .join(TaskResponse, TaskResponse.id == TaskAnswer.response_id)
        .where(*where)
    ):
        values = _values(stance, hours, judgement)
        if key is not None:
            found[rid].tasks[key] = values
        elif label:
            found[rid].free[use_case_key(label)] = (label, values)
    return found


def _assign_personas(
    respondents: Mapping[str, _Respondent], tasks: Mapping[str, Sequence[RoundTask]], k: int
) -> dict[str, str]:
    """Cluster each function's respondents by their stances (personas.py) and put the
    persona into their code; returns, per function, how its personas were found. The persona
    is a dimension like any other: it is published only in classes of at least k."""
    methods: dict[str, str] = {}
    by_function: dict[str, list[str]] = defaultdict(list)
    for rid, respondent in respondents.items():
        if respondent.code.function is not None:
            by_function[respondent.code.function].append(rid)
    for function, ids in sorted(by_function.items()):
        keys = [t.key for t in tasks.get(function, ())]
        ids = sorted(rid for rid in ids if all(key in respondents[rid].tasks for key in keys))
        if not keys or len(ids) < k:
            continue
        rows = [{key: STANCES[respondents[rid].tasks[key][0]] for key in keys} for rid in ids]
        clustering = cluster_stances(stance_matrix(rows, keys), min_size=k, seed=DEFAULT_SEED)
        if clustering.personas < 2:
            methods[function] = f"one persona: no clear group structure in {len(keys)} task stances"
            continue
        methods[function] = f"k-means on {len(keys)} task stances: {clustering.personas} personas"
        for rid, label in zip(ids, clustering.labels, strict=True):
            code = respondents[rid].code
            respondents[rid].code = Code(code.team, code.function, f"persona-{int(label) + 1}")
    return methods


def _catalogue_task(
    session: Session,
    release: Release,
    task: RoundTask,
    members: Mapping[int, list[str]],
    code_of_class: Mapping[int, Code],
    respondents: Mapping[str, _Respondent],
    earlier: Mapping[str, Mapping[str, tuple[int, ...]]],
    lattice: TaskLattice,
    k: int,
) -> None:
    """One catalogue task's three histograms over groups of classes that pass together."""
    prior = earlier.get(task_question(task.id, "stance"), {})
    answered = {
        class_id: [rid for rid in ids if task.key in respondents[rid].tasks]
        for class_id, ids in members.items()
    }

    def ok(group: Sequence[int]) -> bool:
        parts: dict[tuple[int, ...], list[Values]] = defaultdict(list)
        for class_id in group:
            for rid in answered[class_id]:
                parts[prior.get(rid, ())].append(respondents[rid].tasks[task.key])
        return all(
            answers_ok([values[i] for values in part], k)
            for part in parts.values()
            for i in range(len(SERIES))
        )

    grouped = coarsen({c: code_of_class[c] for c in answered if answered[c]}, whole(ok), lattice)
    by_code: dict[Code, list[int]] = defaultdict(list)
    for class_id, code in grouped.codes.items():
        by_code[code].append(class_id)
    for code in sorted(by_code, key=Code.key):
        ids = sorted(by_code[code])
        values = [respondents[rid].tasks[task.key] for c in ids for rid in answered[c]]
        _histograms(session, release, code, ids, values, lambda s: task_question(task.id, s))
    if not by_code:
        session.add(ReleaseNote(release_id=release.id, question=f"t{task.id}", reason=ALL_WITHHELD))


def _histograms(
    session: Session,
    release: Release,
    code: Code,
    classes: Sequence[int],
    values: Sequence[Values],
    name: Callable[[str], str],
) -> None:
    for index, series in enumerate(SERIES):
        counts = [0] * WIDTH[series]
        for value in values:
            counts[value[index]] += 1
        session.add(
            ReleaseHistogram(
                release_id=release.id,
                question=name(series),
                team_id=code.team,
                function=code.function,
                role=code.role,
                tenure=None,
                answered=len(values),
                counts=counts,
                classes=list(classes),
            )
        )


def _free_tasks(
    session: Session,
    release: Release,
    function: str,
    members: Mapping[int, list[str]],
    respondents: Mapping[str, _Respondent],
    earlier: Mapping[str, Mapping[str, tuple[int, ...]]],
    policy: PrivacyPolicy,
) -> None:
    """Free tasks of the function's released groups that enough distinct people named."""
    k = policy.min_group_size
    everyone = sorted(rid for ids in members.values() for rid in ids)
    keys = sorted({key for rid in everyone for key in respondents[rid].free})
    for key in keys:
        namers = [rid for rid in everyone if key in respondents[rid].free]
        if len(namers) < policy.min_comment_group_size:
            continue
        prior = earlier.get(f"free|{function}|{key}", {})
        parts: dict[tuple[Hashable, ...], list[str]] = defaultdict(list)
        for rid in everyone:
            parts[(prior.get(rid, ()), key in respondents[rid].free)].append(rid)
        fine = True
        for (_, named), part in parts.items():
            if len(part) < k:
                fine = False
            elif named:
                answers = [respondents[rid].free[key][1] for rid in part]
                fine = fine and all(
                    answers_ok([a[i] for a in answers], k) for i in range(len(SERIES))
                )
        if not fine:
            continue
        label = most_common_label([respondents[rid].free[key][0] for rid in namers])
        text = TaskReleaseText(
            release_id=release.id, function=function, kind=FREE_TASK, key=key, text=label
        )
        session.add(text)
        session.flush()
        values = [respondents[rid].free[key][1] for rid in namers]
        _histograms(
            session,
            release,
            Code(None, function),
            sorted(members),
            values,
            partial(free_question, text.id),
        )


def _earlier_groups(
    session: Session, previous: Sequence[Release]
) -> dict[str, dict[str, tuple[int, ...]]]:
    """Per catalogue task (its stance question) and per free task (`free|function|key`):
    each respondent's earlier histogram groups, one entry per earlier release. For a free
    task the entry is the group's id for those counted in it and minus the id for the rest
    of its classes, so namers and non-namers are each kept apart from newcomers."""
    if not previous:
        return {}
    position = {release.id: n for n, release in enumerate(previous)}
    members = class_members(session, list(position))
    free_key = {
        free_question(text_id, "stance"): f"free|{function}|{key}"
        for text_id, function, key in session.execute(
            select(TaskReleaseText.id, TaskReleaseText.function, TaskReleaseText.key).where(
                TaskReleaseText.release_id.in_(position), TaskReleaseText.kind == FREE_TASK
            )
        )
    }
    namers: dict[str, set[str]] = {}
    if free_key:
        for rid, label in session.execute(
            select(TaskAnswer.response_id, TaskAnswer.free_label).where(
                TaskAnswer.free_label.is_not(None)
            )
        ):
            namers.setdefault(use_case_key(label or ""), set()).add(rid)
    found: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for hist_id, release_id, question, classes in session.execute(
        select(
            ReleaseHistogram.id,
            ReleaseHistogram.release_id,
            ReleaseHistogram.question,
            ReleaseHistogram.classes,
        ).where(
            ReleaseHistogram.release_id.in_(position),
            ReleaseHistogram.question.like("%.stance"),
        )
    ):
        stable = free_key.get(question, question)
        named = namers.get(stable.split("|", 2)[2], set()) if stable != question else None
        for class_id in classes:
            for rid in members[class_id]:
                mark = hist_id if named is None or rid in named else -hist_id
                row = found[stable].setdefault(rid, [0] * len(previous))
                row[position[release_id]] = mark
    return {q: {rid: tuple(ids) for rid, ids in by.items()} for q, by in found.items()}


def latest_task_release(session: Session, round_: TaskRound) -> Release | None:
    return session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(round_))
        .order_by(Release.seq.desc())
        .limit(1)
    ).first()


def build_task_releases(
    session: Session, policy: PrivacyPolicy | None = None, *, today: dt.date | None = None
) -> list[tuple[TaskRound, BuildOutcome]]:
    """A build for every task round (part of `build_all`)."""
    return [
        (round_, build_task_release(session, round_, policy, today=today))
        for round_ in session.scalars(select(TaskRound).order_by(TaskRound.id))
    ]
