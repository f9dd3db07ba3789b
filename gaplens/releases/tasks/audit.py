"""Attacking what a task round published: every release of the round, solved as one system.

The auditor gets each released class (who is in it) and each released histogram (who
answered in it and their counts) of every release of the round at once; every task-map
page, API answer and report section is a sum of these. A free task's histogram holds only
the people who named it, so naming it is audited like any answer.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.friction.figures import use_case_key
from gaplens.privacy.binning import number_bin
from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, ReleasedHistogram, audit
from gaplens.releases.models import ReleaseHistogram
from gaplens.releases.service import class_members, previous_releases
from gaplens.releases.tasks.models import FREE_TASK, TaskReleaseText
from gaplens.releases.tasks.service import SERIES, STANCE_INDEX, dataset_of
from gaplens.tasks.models import RoundTask, TaskAnswer, TaskResponse, TaskRound


def audit_task_round(
    session: Session, round_: TaskRound, *, k: int = 5, milp_limit: int = 20_000
) -> tuple[int, AuditFindings]:
    """(number of releases, what an attacker holding all of them can derive)."""
    releases = previous_releases(session, dataset_of(round_))
    ids = [release.id for release in releases]
    members = {c: set(found) for c, found in class_members(session, ids).items()}
    task_ids = {
        (function, key): task_id
        for task_id, function, key in session.execute(
            select(RoundTask.id, RoundTask.function, RoundTask.key).where(
                RoundTask.round_id == round_.id
            )
        )
    }
    free_ids: dict[tuple[str, str], list[int]] = defaultdict(list)
    for text_id, text_function, text_key in session.execute(
        select(TaskReleaseText.id, TaskReleaseText.function, TaskReleaseText.key).where(
            TaskReleaseText.release_id.in_(ids), TaskReleaseText.kind == FREE_TASK
        )
    ):
        free_ids[(text_function, text_key)].append(text_id)
    answers: dict[str, dict[str, int]] = defaultdict(dict)
    for rid, function, key, label, stance, hours, judgement in session.execute(
        select(
            TaskAnswer.response_id,
            TaskResponse.function,
            TaskAnswer.task_key,
            TaskAnswer.free_label,
            TaskAnswer.stance,
            TaskAnswer.hours_lost,
            TaskAnswer.judgement,
        )
        .join(TaskResponse, TaskResponse.id == TaskAnswer.response_id)
        .where(TaskResponse.round_id == round_.id)
    ):
        values = (STANCE_INDEX[stance], number_bin(float(hours)), int(judgement) - 1)
        if key is not None:
            names = [f"t{task_ids[(function, key)]}"] if (function, key) in task_ids else []
        else:
            names = [f"free{i}" for i in free_ids.get((function, use_case_key(label or "")), [])]
        for name in names:
            for series, value in zip(SERIES, values, strict=True):
                answers[rid][f"{name}.{series}"] = value
    counts = [ReleasedCount(frozenset(found)) for found in members.values()]
    histograms = []
    for question, classes, released in session.execute(
        select(ReleaseHistogram.question, ReleaseHistogram.classes, ReleaseHistogram.counts).where(
            ReleaseHistogram.release_id.in_(ids)
        )
    ):
        inside = frozenset(
            rid
            for class_id in classes
            for rid in members[class_id]
            if question in answers.get(rid, {})
        )
        histograms.append(ReleasedHistogram(question, inside, tuple(released)))
    typed: dict[str, dict[str, int | frozenset[int]]] = {
        rid: dict(values) for rid, values in answers.items()
    }
    return len(releases), audit(counts, histograms, typed, k=k, milp_limit=milp_limit)
