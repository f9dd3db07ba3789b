"""Loads the domain tables the metrics read, once per call, as numpy columns.

Times leave the database as day numbers (days since 1970-01-01, fractional for date-times)
computed in SQL, so a million work items arrive as floats rather than a million datetime
objects. Only domain tables are read (person, team, work_item, ai_usage_day), never a tool's
own tables, so a metric means the same whichever tracker or assistant the rows came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Connection,
    Engine,
    Float,
    Select,
    Subquery,
    case,
    cast,
    event,
    extract,
    func,
    select,
)
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from gaplens.directory.models import Person, Team
from gaplens.telemetry.models import AiUsageDay, TelemetryAdoption
from gaplens.work.models import WorkItem
from gaplens.work.schemas import TICKET

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EPOCH = dt.date(1970, 1, 1)
_JULIAN_EPOCH = 2440587.5


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01: the time axis every window and row is compared on."""
    return (day - EPOCH).days


def day_of(number: float) -> dt.date:
    return EPOCH + dt.timedelta(days=int(np.floor(number)))


def _days_expr(session: Session, column: ColumnExpressionArgument[Any]) -> ColumnElement[Any]:
    """A date or naive-UTC date-time column as fractional days since 1970-01-01, in SQL.

    PostgreSQL: `date_part` works in double precision, where EXTRACT (PostgreSQL 14 on)
    gives numeric, several times slower over a million rows; both are the correctly rounded
    microseconds / 10^6, so the values are the same to the last bit."""
    dialect = session.get_bind().dialect.name
    days: ColumnElement[Any]
    if dialect == "sqlite":
        days = func.julianday(column) - _JULIAN_EPOCH
    elif dialect == "postgresql":
        days = func.date_part("epoch", column, type_=Float) / 86400.0
    else:
        days = cast(extract("epoch", column), Float) / 86400.0
    return days


@dataclass(frozen=True)
class TeamRows:
    ids: IntArray
    parent_ids: IntArray  # -1 for a top-level team
    keys: list[str]
    names: list[str]

    def subtree(self, team_id: int) -> set[int]:
        """The team and every team below it."""
        children: dict[int, list[int]] = {}
        for child, parent in zip(self.ids.tolist(), self.parent_ids.tolist(), strict=True):
            children.setdefault(parent, []).append(child)
        found, stack = set(), [team_id]
        while stack:
            current = stack.pop()
            if current not in found:
                found.add(current)
                stack.extend(children.get(current, ()))
        return found


@dataclass(frozen=True)
class PersonRows:
    ids: list[str]
    team_ids: IntArray
    functions: list[str]
    adoption: FloatArray  # day number of ai_adoption_date, NaN if none


@dataclass(frozen=True)
class WorkRows:
    """Work items of the persons in scope; `person` indexes the scope's person list."""

    person: IntArray
    is_ticket: BoolArray
    created: FloatArray
    started: FloatArray  # NaN if never started
    resolved: FloatArray  # NaN if unresolved
    points: FloatArray  # NaN if unestimated
    sprint: IntArray  # -1 if in no sprint, else an index into `sprint_names`
    reopens: FloatArray
    reworks: FloatArray
    sprint_names: tuple[str, ...] = ()  # sorted, so a load's codes follow from its rows

    @classmethod
    def empty(cls) -> WorkRows:
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(i, np.empty(0, np.bool_), f, f, f, f, i, f, f)

    @classmethod
    def concat(cls, parts: Sequence[WorkRows]) -> WorkRows:
        """The parts' rows one after the other, their sprint codes renumbered over all their
        names: loads of consecutive person ranges give exactly the rows of one load."""
        names = tuple(sorted(set().union(*(part.sprint_names for part in parts))))
        code = {name: i for i, name in enumerate(names)}
        sprints = []
        for part in parts:
            # The last entry maps -1 (no sprint) to itself.
            recode = np.array([*(code[n] for n in part.sprint_names), -1], dtype=np.int64)
            sprints.append(recode[part.sprint])
        column = {
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in (
                "person",
                "is_ticket",
                "created",
                "started",
                "resolved",
                "points",
                "reopens",
                "reworks",
            )
        }
        return cls(**column, sprint=np.concatenate(sprints), sprint_names=names)


@dataclass(frozen=True)
class UsageRows:
    """Distinct (person, day) pairs with any AI activity (sorted by person, then day), and
    where telemetry coverage begins."""

    person: IntArray
    day: FloatArray
    coverage_start: float | None  # first day with any usage row in the organisation


def load_teams(session: Session, organisation_id: int) -> TeamRows:
    rows = session.execute(
        select(Team.id, Team.parent_id, Team.key, Team.name)
        .where(Team.organisation_id == organisation_id)
        .order_by(Team.id)
    ).all()
    return TeamRows(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        parent_ids=np.array([-1 if r[1] is None else r[1] for r in rows], dtype=np.int64),
        keys=[r[2] for r in rows],
        names=[r[3] for r in rows],
    )


def load_persons(session: Session, organisation_id: int) -> PersonRows:
    """Every person of the organisation, with their adoption date: the directory's, else
    the one derived from telemetry (gaplens/telemetry/adoption.py)."""
    adopted = func.coalesce(Person.ai_adoption_date, TelemetryAdoption.adopted_on)
    rows = session.execute(
        select(Person.id, Person.team_id, Person.function, adopted)
        .outerjoin(TelemetryAdoption, TelemetryAdoption.person_id == Person.id)
        .where(Person.organisation_id == organisation_id)
        .order_by(Person.id)
    ).all()
    return PersonRows(
        ids=[r[0] for r in rows],
        team_ids=np.array([r[1] for r in rows], dtype=np.int64),
        functions=[r[2] for r in rows],
        adoption=np.array(
            [np.nan if r[3] is None else day_number(r[3]) for r in rows], dtype=np.float64
        ),
    )


BINARY_RESULTS = "gaplens_binary_results"
"""Execution option: PostgreSQL sends this statement's rows in binary (see `fetch_tuples`)."""


@event.listens_for(Engine, "before_cursor_execute")
def _binary_results(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    if (
        context is not None
        and context.execution_options.get(BINARY_RESULTS)
        and conn.dialect.driver == "psycopg"
    ):
        from psycopg import pq

        cursor.format = pq.Format.BINARY


def fetch_tuples(session: Session, query: Executable) -> list[tuple[Any, ...]]:
    """All rows as the driver's plain tuples.

    SQLAlchemy binds the parameters, but building a Row object per row costs more than the
    query itself for a million work items; the selected columns need no result processing
    (strings, numbers, and times already turned into day numbers in SQL). PostgreSQL sends
    the rows in binary: a float is 8 bytes rather than up to 24 characters to print and
    parse, and the values (and their Python types) are the same.
    """
    result = session.connection().execution_options(**{BINARY_RESULTS: True}).execute(query)
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def scope_filter(
    organisation_id: int, team_ids: set[int] | None, function: str | None
) -> Select[str]:
    """The ids of the persons in a scope, as a subquery the row loads filter on."""
    query = select(Person.id).where(Person.organisation_id == organisation_id)
    if team_ids is not None:
        query = query.where(Person.team_id.in_(sorted(team_ids)))
    if function is not None:
        query = query.where(Person.function == function)
    return query


def as_date(value: dt.date | str | None) -> dt.date | None:
    """A date column from `fetch_tuples`: a date from PostgreSQL, ISO text from SQLite."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def indexed(scope: Select[str]) -> Subquery:
    """The scope's person ids with their position in id order (0..n-1), computed in SQL.

    `load_persons` orders by id too, so a row's `idx` is the person's index in the scope's
    person list without sending 36-character ids to Python and looking each one up.
    """
    people = scope.subquery()
    position = func.row_number().over(order_by=people.c.id) - 1
    return select(people.c.id, position.label("idx")).subquery()


_WORK_COLUMNS = np.dtype(
    [
        ("person", np.float64),
        ("is_ticket", np.float64),
        ("created", np.float64),
        ("started", np.float64),
        ("resolved", np.float64),
        ("points", np.float64),
        ("reopens", np.float64),
        ("reworks", np.float64),
        ("sprint", object),
    ]
)


def person_bound(persons: int, share: float) -> int:
    """How many of a scope's `persons` (the first ones, in id order) make up `share` of a
    load split between two processes."""
    return persons if share >= 1 else max(int(persons * share), 0)


def load_work(
    session: Session,
    scope: Select[str],
    since: dt.date,
    until: dt.date,
    persons: tuple[int, int] | None = None,
) -> WorkRows:
    """Items of the scope's persons that were open at some point in [since, until).

    That is every item created before `until` and not resolved before `since`: resolved
    items for the time metrics, and still-open ones so throughput knows who was working.
    `person` indexes the scope's persons in id order. `persons` = (first, stop) loads only
    the items of the persons with an index in that range (a share of a load split between
    processes; `WorkRows.concat` joins the shares).
    """
    w = WorkItem
    people = indexed(scope)
    start, end = dt.datetime.combine(since, dt.time()), dt.datetime.combine(until, dt.time())
    share = () if persons is None else (people.c.idx >= persons[0], people.c.idx < persons[1])
    rows = fetch_tuples(
        session,
        select(
            people.c.idx,
            case((w.kind == TICKET, 1), else_=0),
            _days_expr(session, w.created_at),
            _days_expr(session, w.started_at),
            _days_expr(session, w.resolved_at),
            w.story_points,
            w.reopen_count,
            w.rework_count,
            w.sprint,
        )
        .join(people, people.c.id == w.person_id)
        .where(
            w.created_at < end,
            # coalesce keeps planners off the resolved_at index, which would visit most rows
            # in index order; a scan is several times faster here.
            func.coalesce(w.resolved_at, end) >= start,
            *share,
        ),
    )
    if not rows:
        return WorkRows.empty()
    # One C-level conversion of the whole result; NULL becomes NaN in the float columns
    # (unknown reopen and rework counts stay NaN: a Jira CSV has no status history).
    table = np.array(rows, dtype=_WORK_COLUMNS)
    del rows
    sprints = table["sprint"].tolist()
    names = tuple(sorted({name for name in sprints if name is not None}))
    codes: dict[str | None, int] = {name: code for code, name in enumerate(names)}
    codes[None] = -1
    return WorkRows(
        person=table["person"].astype(np.int64),
        is_ticket=table["is_ticket"] == 1,
        created=table["created"].copy(),
        started=table["started"].copy(),
        resolved=table["resolved"].copy(),
        points=table["points"].copy(),
        sprint=np.fromiter(map(codes.__getitem__, sprints), dtype=np.int64, count=len(sprints)),
        reopens=table["reopens"].copy(),
        reworks=table["reworks"].copy(),
        sprint_names=names,
    )


def load_usage(
    session: Session, scope: Select[str], organisation_id: int, since: dt.date, until: dt.date
) -> UsageRows:
    """Days in [since, until) on which each person used any AI tool or app."""
    u = AiUsageDay
    coverage = session.execute(
        select(func.min(u.day))
        .join(Person, Person.id == u.person_id)
        .where(Person.organisation_id == organisation_id)
    ).scalar_one()
    people = indexed(scope)
    # Every row (a person has one per tool and app on a day), made distinct here: sorting
    # the pairs in numpy is cheaper than the database's DISTINCT, which PostgreSQL spills
    # to disk at its default work_mem for a year of an organisation's usage.
    rows = fetch_tuples(
        session,
        select(people.c.idx, _days_expr(session, u.day))
        .join(people, people.c.id == u.person_id)
        .where(u.day >= since, u.day < until),
    )
    table = np.array(rows, dtype=np.float64).reshape(-1, 2)
    del rows
    person, day = table[:, 0].astype(np.int64), table[:, 1]
    order = np.lexsort((day, person))
    person, day = person[order], day[order]
    first = np.ones(person.size, dtype=np.bool_)
    first[1:] = (person[1:] != person[:-1]) | (day[1:] != day[:-1])
    return UsageRows(
        person=person[first],
        day=day[first],
        coverage_start=None if coverage is None else float(day_number(coverage)),
    )
