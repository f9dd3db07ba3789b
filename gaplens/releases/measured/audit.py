"""Attacking every measured release of an organisation at once.

The unknowns are people's values. Before/after values (the `users` and `controls` figures)
are the same in every month, so the auditor takes, per metric and kind, every figure ever
released (each month end, each scope) as the set of people it sums over, rebuilt from the
published classes (who was admitted, with which code, from which month), and solves that
system: anyone isolated, or any group of fewer than k derivable, by any combination of
months and scopes. A derivable group whose values are all the same is reported too (its sum
would tell each value, and so would one whose changes after minus before are all the
same). Every shown figure's n must match its rebuilt set, or the release is
not what the classes say (a ValueError, like a survey histogram that does not match its
answers). Values over the window ending each month end are new each month; for them the
auditor checks that every published class holds at least k people.
"""

from __future__ import annotations

import types
from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, audit
from gaplens.privacy.recoding import Code
from gaplens.releases.measured.models import MeasuredClass, MeasuredFigure, MeasuredLineage
from gaplens.releases.measured.service import LINEAGE_KINDS, dataset_of
from gaplens.releases.queries import cell_predicate
from gaplens.releases.service import previous_releases, team_tree

_COUNTED = {"users": "ai_users", "controls": "non_users"}


def _member(metric: str, kind: str, person: str) -> str:
    return f"{metric}:{kind}:{person}"


def measured_findings(
    session: Session, organisation_id: int, *, k: int = 5
) -> tuple[int, AuditFindings]:
    """(releases, findings) over every measured release of the organisation."""
    releases = previous_releases(session, dataset_of(organisation_id))
    ids = [release.id for release in releases]
    tree = team_tree(session)
    lineage: dict[tuple[str, str], dict[str, MeasuredLineage]] = defaultdict(dict)
    for row in session.scalars(
        select(MeasuredLineage).where(MeasuredLineage.dataset == dataset_of(organisation_id))
    ):
        lineage[(row.metric, row.lineage)][row.person_id] = row
    figures: dict[str, list[tuple[int, int | None, str | None, Mapping[str, object]]]] = (
        defaultdict(list)
    )
    for release_id, team, function, metric, overview in session.execute(
        select(
            MeasuredFigure.release_id,
            MeasuredFigure.team_id,
            MeasuredFigure.function,
            MeasuredFigure.metric,
            MeasuredFigure.overview,
        ).where(MeasuredFigure.release_id.in_(ids))
    ):
        figures[metric].append((release_id, team, function, overview))
    month = {release.id: release.answers_through for release in releases}

    rows: list[frozenset[str]] = []
    alike: dict[str, set[str]] = {}
    for metric, published in figures.items():
        for kind in LINEAGE_KINDS:
            members = lineage.get((metric, kind), {})
            sets = []
            for release_id, team, function, overview in published:
                inside = cell_predicate(tree, team=team, function=function)
                summed = frozenset(
                    _member(metric, kind, person)
                    for person, row in members.items()
                    if row.since <= month[release_id] and inside(Code(row.team_id, row.function))
                )
                _check_n(overview, kind, len(summed), metric, team, function)
                sets.append(summed)
            rows += [summed for summed in sets if summed]
            values = {
                _member(metric, kind, person): (row.before, row.after)
                for person, row in members.items()
            }
            for atom in _atoms([summed for summed in sets if summed]):
                befores = {values[m][0] for m in atom}
                afters = {values[m][1] for m in atom}
                changes = {values[m][1] - values[m][0] for m in atom}
                if min(len(befores), len(afters), len(changes)) < 2:
                    alike.setdefault(f"{metric} ({kind}) before/after", set()).update(atom)
    everyone = frozenset().union(*rows) if rows else frozenset()
    linear = audit(
        [ReleasedCount(row) for row in rows], [], {m: {} for m in everyone}, k=k, milp_limit=0
    )
    small = list(linear.small_groups)
    for class_id, metric, n in session.execute(
        select(MeasuredClass.id, MeasuredClass.metric, MeasuredClass.n).where(
            MeasuredClass.release_id.in_(ids), MeasuredClass.n < k
        )
    ):
        small.append(frozenset(f"{metric}:class {class_id}:{i}" for i in range(n)))
    return len(releases), AuditFindings(
        isolated=linear.isolated,
        small_groups=tuple(small),
        determined=types.MappingProxyType({q: frozenset(m) for q, m in alike.items()}),
        rows=linear.rows,
        atoms=linear.atoms,
        k=k,
    )


def _check_n(
    overview: Mapping[str, object],
    kind: str,
    size: int,
    metric: str,
    team: int | None,
    function: str | None,
) -> None:
    """A shown before/after figure must count exactly the people its classes hold."""
    figure = overview.get("before_after" if kind == "users" else "users_vs_non_users")
    if not isinstance(figure, Mapping) or figure.get("value") is None:
        return
    counts = figure.get("n")
    n = counts.get(_COUNTED[kind]) if isinstance(counts, Mapping) else None
    if n is not None and n != size:
        raise ValueError(
            f"the {metric} figure for team {team}, function {function} counts {n} "
            f"{_COUNTED[kind]} but its published classes hold {size}"
        )


def _atoms(rows: list[frozenset[str]]) -> list[frozenset[str]]:
    """People grouped by the set of rows they are in (interchangeable in every figure)."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        for member in row:
            where[member].append(i)
    groups: dict[tuple[int, ...], set[str]] = defaultdict(set)
    for member, found in where.items():
        groups[tuple(found)].add(member)
    return [frozenset(group) for group in groups.values()]
