"""Reading the reflections release: every figure is a sum over published classes and groups
whose code lies inside the cell asked for.

Nothing here reads an invitation, a spent tag or an entry. All releases of the data set are
read together: each covers months no other does, so their classes simply add up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.recoding import TeamTree
from gaplens.releases.models import Release
from gaplens.releases.reflections.lattice import ReflectionCode, period_bounds
from gaplens.releases.reflections.models import ReflectionReleaseClass, ReflectionReleaseGroup
from gaplens.releases.reflections.service import DATASET, ENTRY, INVITATION
from gaplens.releases.service import team_tree

Predicate = Callable[[ReflectionCode], bool]


@dataclass(frozen=True)
class ReleasedClass:
    kind: str
    code: ReflectionCode
    n: int
    used: int | None


@dataclass(frozen=True)
class ReleasedGroup:
    kind: str
    code: ReflectionCode
    n: int
    counts: Mapping[str, tuple[int, ...]]
    texts: tuple[str, ...]


@dataclass(frozen=True)
class ReflectionRelease:
    """Everything published about reflections, as plain data."""

    releases: int
    through: dt.date
    min_group_size: int
    classes: tuple[ReleasedClass, ...]
    groups: tuple[ReleasedGroup, ...]
    tree: TeamTree

    def invitations(self, inside: Predicate) -> tuple[int, int]:
        """(links sent, links used) over the invitation classes inside the cell."""
        found = [c for c in self.classes if c.kind == INVITATION and inside(c.code)]
        return sum(c.n for c in found), sum(c.used or 0 for c in found)

    def entries(self, inside: Predicate) -> int:
        return sum(c.n for c in self.classes if c.kind == ENTRY and inside(c.code))

    def grouped(self, kind: str, inside: Predicate) -> list[ReleasedGroup]:
        return [g for g in self.groups if g.kind == kind and inside(g.code)]

    def codes(self, kind: str, inside: Predicate) -> list[ReflectionCode]:
        return [c.code for c in self.classes if c.kind == kind and inside(c.code)]


def load_reflection_release(session: Session) -> ReflectionRelease | None:
    releases = list(session.scalars(select(Release).where(Release.dataset == DATASET)))
    if not releases:
        return None
    ids = [r.id for r in releases]
    classes = tuple(
        ReleasedClass(row.kind, _code(row), row.n, row.used)
        for row in session.scalars(
            select(ReflectionReleaseClass)
            .where(ReflectionReleaseClass.release_id.in_(ids))
            .order_by(ReflectionReleaseClass.id)
        )
    )
    groups = tuple(
        ReleasedGroup(
            row.kind,
            _code(row),
            row.n,
            {key: tuple(values) for key, values in row.counts.items()},
            tuple(row.texts or ()),
        )
        for row in session.scalars(
            select(ReflectionReleaseGroup)
            .where(ReflectionReleaseGroup.release_id.in_(ids))
            .order_by(ReflectionReleaseGroup.id)
        )
    )
    return ReflectionRelease(
        releases=len(releases),
        through=max(r.answers_through for r in releases),
        min_group_size=max(r.min_group_size for r in releases),
        classes=classes,
        groups=groups,
        tree=team_tree(session),
    )


def _code(row: ReflectionReleaseClass | ReflectionReleaseGroup) -> ReflectionCode:
    return ReflectionCode(row.step, row.period, row.team_id, row.function)


def cell(
    tree: TeamTree,
    start: dt.date,
    end: dt.date,
    *,
    step: str | None = None,
    team: int | None = None,
    function: str | None = None,
) -> Predicate:
    """Released codes inside a cell: a period wholly within [start, end], the step, the team
    (or a team below it) and the function asked for (None: not filtered). A group released
    only above a filter (its team is the parent's, its period a quarter reaching outside the
    window) is not inside: it counts only in the broader cells it belongs to."""

    def inside(code: ReflectionCode) -> bool:
        first, last = period_bounds(code.period)
        if first < start or last > end:
            return False
        if step is not None and code.step != step:
            return False
        if team is not None and (code.team is None or not tree.within(code.team, team)):
            return False
        return function is None or code.function == function

    return inside
