"""Reading a round's answers for the figures: one query for respondents, one for answers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.friction.figures import use_case_key
from gaplens.tasks.figures import FREE_PREFIX, AnswerFact
from gaplens.tasks.models import RoundTask, TaskAnswer, TaskResponse, TaskRound


@dataclass(frozen=True)
class Respondent:
    id: str
    function: str
    team: str | None
    """Team key, or None when the respondent did not say."""
    answered_on: dt.date


@dataclass
class RoundData:
    """Everything the figures of one scope need; ids are for the privacy gate only."""

    respondents: dict[str, Respondent] = field(default_factory=dict)
    facts: dict[str, list[AnswerFact]] = field(default_factory=dict)
    """Per respondent: their answered tasks."""

    def of(self, ids: frozenset[str]) -> list[AnswerFact]:
        return [fact for rid in sorted(ids) for fact in self.facts.get(rid, ())]


def load_round(
    session: Session,
    round_id: int,
    *,
    team_ids: Sequence[int] | None = None,
    function: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> RoundData:
    """Respondents of one round in scope (team subtree, function, answer days) and their
    answers; free tasks are keyed by their case- and space-folded label."""
    where: list[ColumnElement[bool]] = [TaskResponse.round_id == round_id]
    if team_ids is not None:
        where.append(TaskResponse.team_id.in_(team_ids))
    if function is not None:
        where.append(TaskResponse.function == function)
    if start is not None:
        where.append(TaskResponse.answered_on >= start)
    if end is not None:
        where.append(TaskResponse.answered_on <= end)
    query = (
        select(TaskResponse.id, TaskResponse.function, Team.key, TaskResponse.answered_on)
        .outerjoin(Team, Team.id == TaskResponse.team_id)
        .where(*where)
    )
    data = RoundData()
    for rid, fn, team, day in session.execute(query):
        data.respondents[rid] = Respondent(rid, fn, team, day)
    if not data.respondents:
        return data
    labels = {
        (fn, key): label
        for fn, key, label in session.execute(
            select(RoundTask.function, RoundTask.key, RoundTask.label).where(
                RoundTask.round_id == round_id
            )
        )
    }
    answers = session.execute(
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
        .order_by(TaskAnswer.response_id, TaskAnswer.ordinal)
    )
    facts: dict[str, list[AnswerFact]] = defaultdict(list)
    for rid, key, free_label, stance, hours, judgement in answers:
        respondent = data.respondents.get(rid)
        if respondent is None:
            continue
        if key is not None:
            task, label = key, labels.get((respondent.function, key), key)
        else:
            task, label = FREE_PREFIX + use_case_key(free_label or ""), free_label or ""
        facts[rid].append(AnswerFact(rid, task, label, stance, float(hours), int(judgement)))
    data.facts = dict(facts)
    return data


def round_names(session: Session) -> list[str]:
    """Every task round's name, newest first."""
    return list(session.scalars(select(TaskRound.name).order_by(TaskRound.id.desc())))
