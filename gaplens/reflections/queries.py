"""SQL for reflection loops: triggers, invitations in scope, entries and AI-usage days.

Entries are loaded without any person column (they have none); invitations are loaded with
their person's current team and function, which is what participation is broken down by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Person, Team
from gaplens.metrics.schemas import MetricScope
from gaplens.reflections.models import ReflectionEntry, ReflectionInvitation
from gaplens.reflections.steps import FIRST_USE, TRAINING
from gaplens.spent.service import REFLECTION, spent_among
from gaplens.telemetry.models import AiUsageDay, TrainingRecord

FIRST_USE_CENSOR_DAYS = 14
"""A first AI-usage day within this many days of the earliest imported usage day is not
taken as a first use: the person may well have used the tool before the export began."""
CHUNK = 500


@dataclass(frozen=True)
class Trigger:
    key: str
    """'training:<training record id>' or 'first_use:<person id>'; ids derive from it."""
    kind: str
    person_id: str
    day: dt.date


@dataclass(frozen=True)
class InvitationFact:
    id: str
    series_id: str
    person_id: str
    team_key: str
    team_name: str
    function: str
    trigger_on: dt.date
    step: str
    due_on: dt.date
    issued: bool
    used: bool
    """Whether its link was used: worked out through the server's key (gaplens.spent), since
    the invitation's row never records it."""


@dataclass(frozen=True)
class EntryFact:
    id: str
    step: str | None
    text: str
    written_in: dt.date
    confidence: int | None


def training_triggers(session: Session, since: dt.date, until: dt.date) -> list[Trigger]:
    rows = session.execute(
        select(TrainingRecord.id, TrainingRecord.person_id, TrainingRecord.completed_on).where(
            TrainingRecord.completed_on >= since, TrainingRecord.completed_on <= until
        )
    )
    return [Trigger(f"{TRAINING}:{rid}", TRAINING, pid, day) for rid, pid, day in rows]


def first_use_triggers(session: Session, since: dt.date, until: dt.date) -> list[Trigger]:
    """Each person's first AI-usage day (any tool), unless it may be left-censored."""
    earliest = session.scalar(select(func.min(AiUsageDay.day)))
    if earliest is None:
        return []
    floor = max(since, earliest + dt.timedelta(days=FIRST_USE_CENSOR_DAYS))
    first = func.min(AiUsageDay.day)
    rows = session.execute(
        select(AiUsageDay.person_id, first)
        .group_by(AiUsageDay.person_id)
        .having(first >= floor, first <= until)
    )
    return [Trigger(f"{FIRST_USE}:{pid}", FIRST_USE, pid, day) for pid, day in rows]


def existing_series(session: Session) -> dict[str, tuple[str, dt.date]]:
    """series id -> (person id, trigger day) of everything scheduled so far."""
    rows = session.execute(
        select(
            ReflectionInvitation.series_id,
            ReflectionInvitation.person_id,
            ReflectionInvitation.trigger_on,
        ).distinct()
    )
    return {series: (person, day) for series, person, day in rows}


def team_subtree_ids(session: Session, organisation_id: int, team_id: int) -> set[int]:
    rows = session.execute(
        select(Team.id, Team.parent_id).where(Team.organisation_id == organisation_id)
    ).all()
    if team_id not in {tid for tid, _ in rows}:
        raise ValueError(f"team {team_id} is not in organisation {organisation_id}")
    children: dict[int | None, list[int]] = {}
    for tid, parent in rows:
        children.setdefault(parent, []).append(tid)
    found, stack = set(), [team_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def _person_scope(session: Session, scope: MetricScope) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Person.organisation_id == scope.organisation_id]
    if scope.team_id is not None:
        where.append(
            Person.team_id.in_(
                sorted(team_subtree_ids(session, scope.organisation_id, scope.team_id))
            )
        )
    if scope.function is not None:
        where.append(Person.function == scope.function)
    return where


def invitations(
    session: Session, scope: MetricScope, start: dt.date, end: dt.date
) -> list[InvitationFact]:
    """Invitations due within [start, end] of the persons in scope."""
    i = ReflectionInvitation
    rows = session.execute(
        select(
            i.id,
            i.series_id,
            i.person_id,
            Team.key,
            Team.name,
            Person.function,
            i.trigger_on,
            i.step,
            i.due_on,
            i.link_issued_on,
            i.token_hash,
        )
        .join(Person, Person.id == i.person_id)
        .join(Team, Team.id == Person.team_id)
        .where(i.due_on >= start, i.due_on <= end, *_person_scope(session, scope))
        .order_by(i.id)
    ).all()
    spent = spent_among(session, REFLECTION, (r[10] for r in rows))
    return [
        InvitationFact(
            id=r[0],
            series_id=r[1],
            person_id=r[2],
            team_key=r[3],
            team_name=r[4],
            function=r[5],
            trigger_on=r[6],
            step=r[7],
            due_on=r[8],
            issued=r[9] is not None,
            used=r[10] in spent,
        )
        for r in rows
    ]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def entries(
    session: Session, function: str | None, start: dt.date, end: dt.date
) -> list[EntryFact]:
    """Entries written in the months [start's month, end]; only a function can narrow them
    (entries carry no team), and an entry without a function belongs to no function."""
    e = ReflectionEntry
    query = select(e.id, e.step, e.learned, e.means, e.written_in, e.confidence).where(
        e.written_in >= month_start(start), e.written_in <= end
    )
    if function is not None:
        query = query.where(e.function == function)
    return [
        EntryFact(
            id=eid,
            step=step,
            text=". ".join(t for t in (learned, means) if t),
            written_in=written,
            confidence=confidence,
        )
        for eid, step, learned, means, written, confidence in session.execute(query.order_by(e.id))
    ]


def usage_start(session: Session) -> dt.date | None:
    """The first day the imported AI-usage data covers."""
    return session.scalar(select(func.min(AiUsageDay.day)))


def usage_as_of(session: Session) -> dt.date | None:
    """The last day the imported AI-usage data covers."""
    return session.scalar(select(func.max(AiUsageDay.day)))


def active_days(
    session: Session, person_ids: Iterable[str], start: dt.date, end: dt.date
) -> dict[str, list[dt.date]]:
    """Distinct days with any AI-tool activity per person within [start, end], sorted."""
    ids = sorted(set(person_ids))
    found: dict[str, list[dt.date]] = {pid: [] for pid in ids}
    for offset in range(0, len(ids), CHUNK):
        chunk: Sequence[str] = ids[offset : offset + CHUNK]
        rows = session.execute(
            select(AiUsageDay.person_id, AiUsageDay.day)
            .where(AiUsageDay.person_id.in_(chunk), AiUsageDay.day >= start, AiUsageDay.day <= end)
            .distinct()
        )
        for pid, day in rows:
            found[pid].append(day)
    for days in found.values():
        days.sort()
    return found
