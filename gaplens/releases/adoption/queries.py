"""Reading the adoption release: every figure is a sum of the classes inside its cell.

Nothing here reads a person, a usage day or a training record. A cell (the organisation, a
team and the teams below it, a function) sums the classes whose code lies inside it; a class
generalised above a team counts only in the broader cells. So any two cells, months or
viewers differ by whole classes of at least k licensed persons, never by one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.recoding import Code, TeamTree
from gaplens.releases.adoption.models import (
    AdoptionReleaseClass,
    AdoptionReleaseGroup,
    dataset_of,
)
from gaplens.releases.models import Release, ReleaseNote
from gaplens.releases.queries import cached
from gaplens.releases.service import team_tree
from gaplens.telemetry.schemas import SEAT_TOOLS

Predicate = Callable[[Code], bool]


@dataclass(frozen=True)
class Cell:
    """A cell's released figures: licensed persons, persons by furthest stage, and the
    trained / certified / tool-holder counts where the groups inside cover exactly its
    classes (a tool is absent from `flags` in a month released before tools were)."""

    licensed: int
    furthest: tuple[int, ...]
    flags: Mapping[str, int | None]


@dataclass(frozen=True)
class AdoptionRelease:
    """One published month end of an organisation's funnel, as plain data."""

    seq: int
    month_end: dt.date
    built_at: dt.datetime
    min_group_size: int
    classes: tuple[tuple[Code, int, tuple[int, ...]], ...]
    groups: Mapping[str, tuple[tuple[Code, int, int], ...]]
    """Per question (trained, certified, each tool): (code, persons, persons with it)."""
    withheld: frozenset[str]
    """Questions some of whose classes are in no group (all alike even at the top)."""
    tree: TeamTree

    @property
    def tools_released(self) -> bool:
        """Whether the month publishes tool counts (releases built before did not)."""
        return all(tool in self.groups for tool in SEAT_TOOLS)

    def cell(self, inside: Predicate) -> Cell | None:
        """The figures of the classes inside the cell, or None when none is."""
        return self.cells({None: inside}).get(None)

    def cells(self, predicates: Mapping[object, Predicate]) -> dict[object, Cell]:
        """`cell` for many cells at once (one pass over the classes per cell)."""
        found: dict[object, Cell] = {}
        for key, inside in predicates.items():
            chosen = [(n, furthest) for code, n, furthest in self.classes if inside(code)]
            if chosen:
                found[key] = self._cell(chosen, {f: self._groups(f, inside) for f in self.groups})
        return found

    def team_cells(self) -> dict[int, Cell]:
        """Each team's cell (its classes and those of the teams below it), in one pass over
        the classes: a class counts in its own team and every team above it."""
        chains: dict[int, list[int]] = {}

        def chain(team: int) -> list[int]:
            if team not in chains:
                found: list[int] = []
                current: int | None = team
                while current is not None:
                    found.append(current)
                    current = self.tree.parents.get(current)
                chains[team] = found
            return chains[team]

        classes: dict[int, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
        for code, n, furthest in self.classes:
            for team in chain(code.team) if code.team is not None else ():
                classes[team].append((n, furthest))
        groups: dict[str, dict[int, list[tuple[int, int]]]] = {}
        for flag, rows in self.groups.items():
            groups[flag] = defaultdict(list)
            for code, n, with_flag in rows:
                for team in chain(code.team) if code.team is not None else ():
                    groups[flag][team].append((n, with_flag))
        return {
            team: self._cell(found, {flag: groups[flag].get(team, []) for flag in groups})
            for team, found in classes.items()
        }

    def _groups(self, flag: str, inside: Predicate) -> list[tuple[int, int]]:
        return [(n, with_flag) for code, n, with_flag in self.groups[flag] if inside(code)]

    @staticmethod
    def _cell(
        classes: Sequence[tuple[int, tuple[int, ...]]],
        groups: Mapping[str, Sequence[tuple[int, int]]],
    ) -> Cell:
        licensed = sum(n for n, _ in classes)
        furthest = tuple(sum(column) for column in zip(*(f for _, f in classes), strict=True))
        flags: dict[str, int | None] = {}
        for flag, found in groups.items():
            covered = sum(n for n, _ in found)
            flags[flag] = sum(w for _, w in found) if covered == licensed else None
        return Cell(licensed, furthest, flags)


def scope_predicate(tree: TeamTree, team: int | None, function: str | None) -> Predicate:
    """The cell of a team (and the teams below it) and/or a function: a class counts when
    its code lies inside both (a class generalised above the team counts only higher up)."""

    def inside(code: Code) -> bool:
        if team is not None and (code.team is None or not tree.within(code.team, team)):
            return False
        return function is None or code.function == function

    return inside


def released_month_ends(
    session: Session, organisation_id: int, start: dt.date, end: dt.date
) -> list[AdoptionRelease]:
    """The organisation's released month ends inside [start, end], oldest first (each month
    end once: the latest release of it)."""
    found: dict[dt.date, Release] = {}
    for release in session.scalars(
        select(Release)
        .where(
            Release.dataset == dataset_of(organisation_id),
            Release.answers_through >= start,
            Release.answers_through <= end,
        )
        .order_by(Release.answers_through, Release.seq)
    ):
        found[release.answers_through] = release
    return [load_adoption_release(session, found[day]) for day in sorted(found)]


def month_ends(session: Session, organisation_id: int) -> list[dt.date]:
    """The organisation's released month ends, newest first (dates only: what a reader
    picks from, without loading any release)."""
    days = session.scalars(
        select(Release.answers_through)
        .where(Release.dataset == dataset_of(organisation_id))
        .distinct()
        .order_by(Release.answers_through.desc())
    )
    return list(days)


def latest_adoption_release(
    session: Session, organisation_id: int, as_of: dt.date
) -> AdoptionRelease | None:
    """The organisation's release of the latest month end at or before `as_of`."""
    release = session.scalars(
        select(Release)
        .where(Release.dataset == dataset_of(organisation_id), Release.answers_through <= as_of)
        .order_by(Release.answers_through.desc(), Release.seq.desc())
        .limit(1)
    ).first()
    if release is None:
        return None
    found = release
    return cached(session, ("adoption", release.id), lambda: load_adoption_release(session, found))


def load_adoption_release(session: Session, release: Release) -> AdoptionRelease:
    classes = tuple(
        (Code(row.team_id, row.function), row.n, tuple(row.furthest))
        for row in session.scalars(
            select(AdoptionReleaseClass)
            .where(AdoptionReleaseClass.release_id == release.id)
            .order_by(AdoptionReleaseClass.id)
        )
    )
    groups: dict[str, list[tuple[Code, int, int]]] = {"trained": [], "certified": []}
    for row in session.scalars(
        select(AdoptionReleaseGroup)
        .where(AdoptionReleaseGroup.release_id == release.id)
        .order_by(AdoptionReleaseGroup.id)
    ):
        groups.setdefault(row.question, []).append(
            (Code(row.team_id, row.function), row.n, row.counts[1])
        )
    withheld = frozenset(
        session.scalars(select(ReleaseNote.question).where(ReleaseNote.release_id == release.id))
    )
    if any(tool in groups or tool in withheld for tool in SEAT_TOOLS):
        # built with tool counts: a tool with no group at all was all alike everywhere
        for tool in SEAT_TOOLS:
            groups.setdefault(tool, [])
    return AdoptionRelease(
        seq=release.seq,
        month_end=release.answers_through,
        built_at=release.built_at,
        min_group_size=release.min_group_size,
        classes=classes,
        groups={flag: tuple(rows) for flag, rows in groups.items()},
        withheld=withheld,
        tree=team_tree(session),
    )
