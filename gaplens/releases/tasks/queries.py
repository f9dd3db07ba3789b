"""Reading a task-map release: a cell is the sum of the released groups whose code lies in it.

Nothing here reads an answer. Whatever scope, function, team or persona a viewer asks for,
in whatever order, the figures are sums of groups of at least k published to everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.models import Release
from gaplens.releases.queries import Histogram, released_cells
from gaplens.releases.service import team_tree
from gaplens.releases.tasks.models import FREE_TASK, PERSONAS, TaskReleaseText
from gaplens.releases.tasks.service import SERIES, free_question, latest_task_release, task_question
from gaplens.tasks.models import TaskRound

Predicate = Callable[[Code], bool]


@dataclass(frozen=True)
class TaskCounts:
    """One task's released counts over a cell: stance (STANCES order), hours bins, judgement
    1-5, all over the same n answers."""

    n: int
    stance: tuple[int, ...]
    hours: tuple[int, ...]
    judgement: tuple[int, ...]


@dataclass(frozen=True)
class FreeTask:
    function: str
    key: str
    label: str
    text_id: int


@dataclass(frozen=True)
class TaskRelease:
    """One published release of a task round, as plain data."""

    round: str
    seq: int
    cutoff: dt.date
    answers_through: dt.date
    min_group_size: int
    classes: tuple[tuple[Code, int], ...]
    histograms: Mapping[str, tuple[Histogram, ...]]
    notes: Mapping[str, str]
    free: tuple[FreeTask, ...]
    methods: Mapping[str, str]
    tree: TeamTree

    def respondents(self, inside: Predicate) -> int:
        return sum(n for code, n in self.classes if inside(code))

    def codes(self, inside: Predicate) -> list[Code]:
        return [code for code, _ in self.classes if inside(code)]

    def _counts(self, name: Callable[[str], str], inside: Predicate) -> TaskCounts | None:
        found: dict[str, tuple[int, list[int]]] = {}
        for series in SERIES:
            groups = [h for h in self.histograms.get(name(series), ()) if inside(h.code)]
            if not groups:
                return None
            counts = [0] * len(groups[0].counts)
            for histogram in groups:
                for index, count in enumerate(histogram.counts):
                    counts[index] += count
            found[series] = (sum(h.answered for h in groups), counts)
        n = found["stance"][0]
        return TaskCounts(n, *(tuple(found[series][1]) for series in SERIES))

    def task(self, task_id: int, inside: Predicate) -> TaskCounts | None:
        """A catalogue task's counts over the released groups inside the cell, or None."""
        return self._counts(lambda series: task_question(task_id, series), inside)

    def free_task(self, task: FreeTask, inside: Predicate) -> TaskCounts | None:
        return self._counts(lambda series: free_question(task.text_id, series), inside)


def latest_round_release(session: Session, round_: TaskRound) -> TaskRelease | None:
    release = latest_task_release(session, round_)
    return None if release is None else load_task_release(session, round_, release)


def load_task_release(session: Session, round_: TaskRound, release: Release) -> TaskRelease:
    classes, histograms, notes = released_cells(session, release)
    free: list[FreeTask] = []
    methods: dict[str, str] = {}
    for text in session.scalars(
        select(TaskReleaseText)
        .where(TaskReleaseText.release_id == release.id)
        .order_by(TaskReleaseText.id)
    ):
        if text.kind == FREE_TASK:
            free.append(FreeTask(text.function, text.key, text.text, text.id))
        elif text.kind == PERSONAS:
            methods[text.function] = text.text
    return TaskRelease(
        round=round_.name,
        seq=release.seq,
        cutoff=release.cutoff,
        answers_through=release.answers_through,
        min_group_size=release.min_group_size,
        classes=classes,
        histograms=histograms,
        notes=notes,
        free=tuple(free),
        methods=methods,
        tree=team_tree(session),
    )


def task_cell(
    tree: TeamTree,
    *,
    function: str | None = None,
    team: int | None = None,
    persona: str | None = None,
) -> Predicate:
    """Released codes inside a cell. A group generalised above a filter (its team is the
    parent of the filtered team, its persona is "any") is not inside: it counts only in the
    broader cells it belongs to."""

    def inside(code: Code) -> bool:
        if function is not None and code.function != function:
            return False
        if team is not None and (code.team is None or not tree.within(code.team, team)):
            return False
        return persona is None or code.role == persona

    return inside
