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
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.privacy.disclosure import AuditFindings, ReleasedCount, audit
from gaplens.privacy.recoding import Code
from gaplens.releases.measured.models import (
    MeasuredClass,
    MeasuredFigure,
    MeasuredLineage,
    MeasuredStaggered,
)
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


def _month(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def staggered_findings(
    session: Session, organisation_id: int, *, k: int = 5
) -> tuple[int, AuditFindings]:
    """(releases with a staggered estimate, findings): the linear attack on every
    staggered figure ever released, all months, scopes and viewers together.

    Per metric the unknowns are person x month values from the frozen panel. Every
    published cell ATT(g, t) is rebuilt from its cohort and months as the rule defines it
    (treated: the cohort's persons with values at both months; control: those not yet
    treated by either month), its n checked against the published one (a mismatch is a
    ValueError: the release is not what it claims), and turned into a row: +1/n on each
    treated person's value at t, -1/n at the base month, the control part likewise with
    the sign flipped. The published speed-up makes the adopters' level without AI
    derivable, so that is a row too. Aggregations are fixed combinations of the cells
    (weights: published cohort sizes), so they add nothing. A person is reported when a
    combination of their own values lies in the row space (`disclosed_owners`); a cell
    whose treated or control changes are all alike, or a cell published twice with two
    values, is reported as determined."""
    from gaplens.privacy.linear import disclosed_owners
    from gaplens.releases.measured.staggered import load_panel, panel_inputs

    dataset = dataset_of(organisation_id)
    releases = {release.id: release for release in previous_releases(session, dataset)}
    published = session.execute(
        select(
            MeasuredStaggered.release_id,
            MeasuredStaggered.metric,
            MeasuredStaggered.function,
            MeasuredStaggered.figures,
        ).where(MeasuredStaggered.release_id.in_(list(releases)))
    ).all()
    if not published:
        return 0, AuditFindings(frozenset(), (), types.MappingProxyType({}), 0, 0, k)
    panel = load_panel(session, dataset)
    determined: dict[str, set[str]] = defaultdict(set)
    isolated: set[str] = set()
    total_rows = total_unknowns = 0
    by_metric: dict[str, list[tuple[int, str | None, Mapping[str, Any]]]] = defaultdict(list)
    for release_id, metric, function, figures in published:
        by_metric[metric].append((release_id, function, figures))
    for metric, items in sorted(by_metric.items()):
        months = panel.released_months()
        column = {m: j for j, m in enumerate(months)}
        width = len(months)
        rows: dict[tuple[object, ...], dict[int, float]] = {}
        seen: dict[tuple[str | None, str, str], tuple[float, int, int]] = {}
        for release_id, function, figures in items:
            through = _month_of(releases[release_id].answers_through)
            inputs = panel_inputs(panel, metric, function, through, k)
            local = {m: j for j, m in enumerate(inputs.months)}
            observed = np.isfinite(inputs.values)
            cohort = inputs.cohort
            post_cells: list[tuple[int, float, dict[int, float]]] = []
            for cell in figures.get("cells", []):
                g, t, b = _month(cell["cohort"]), _month(cell["month"]), _month(cell["base_month"])
                key = (function, cell["cohort"], cell["month"])
                got = (float(cell["estimate"]), int(cell["n_treated"]), int(cell["n_control"]))
                if key in seen and (abs(seen[key][0] - got[0]) > 1e-9 or seen[key][1:] != got[1:]):
                    determined[f"{metric} staggered cell changed between releases"].add(
                        f"{function or 'organisation'}:{cell['cohort']}->{cell['month']}"
                    )
                seen[key] = got
                both = observed[:, local[t]] & observed[:, local[b]]
                treated = np.flatnonzero(both & (cohort == g))
                control = np.flatnonzero(
                    both & (np.isnan(cohort) | (cohort > max(t, b))) & (cohort != g)
                )
                if (treated.size, control.size) != got[1:]:
                    raise ValueError(
                        f"the {metric} cell {cell['cohort']}->{cell['month']} for "
                        f"{function or 'the organisation'} counts {got[1]} treated and "
                        f"{got[2]} control persons but the panel holds {treated.size} and "
                        f"{control.size}"
                    )
                change = inputs.values[:, local[t]] - inputs.values[:, local[b]]
                for side in (treated, control):
                    if side.size and np.ptp(change[side]) == 0:
                        determined[f"{metric} staggered cell with changes all alike"].update(
                            _member(metric, "panel", panel.ids[int(s)]) for s in inputs.seqs[side]
                        )
                row: dict[int, float] = defaultdict(float)
                for side, sign in ((treated, 1.0), (control, -1.0)):
                    if side.size == 0:
                        continue
                    for s in inputs.seqs[side].tolist():
                        row[s * width + column[t]] += sign / side.size
                        row[s * width + column[b]] -= sign / side.size
                rows[key] = row
                if t >= g:  # the adopters' level without AI: mean_T Y_b + mean_C change
                    level: dict[int, float] = defaultdict(float)
                    for s in inputs.seqs[treated].tolist():
                        level[s * width + column[b]] += 1.0 / treated.size
                    for s in inputs.seqs[control].tolist():
                        level[s * width + column[t]] += 1.0 / control.size
                        level[s * width + column[b]] -= 1.0 / control.size
                    size = float(_cohort_size(observed, cohort, inputs.months, g))
                    post_cells.append((t - g, size, level))
            # Each published speed-up makes the adopters' level without AI over its cells
            # derivable: the overall one over every post cell, each tenure band's over the
            # cells at its months since adoption.
            windows: list[tuple[object, int, int | None]] = []
            if figures.get("speed_up"):
                windows.append(("level", 0, None))
            windows += [
                (f"level {w['band']}", int(w["first_month"]), w["last_month"])
                for w in figures.get("speed_up_by_tenure", [])
            ]
            for name, first, last in windows:
                chosen = [
                    (size, level)
                    for event_time, size, level in post_cells
                    if event_time >= first and (last is None or event_time <= int(last))
                ]
                weight_total = sum(size for size, _ in chosen)
                if weight_total <= 0:
                    continue
                combined: dict[int, float] = defaultdict(float)
                for size, level in chosen:
                    for c, v in level.items():
                        combined[c] += size * v / weight_total
                rows[(name, release_id, function)] = dict(combined)
        if not rows:
            continue
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for row in rows.values():
            indices.extend(row)
            data.extend(row.values())
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (data, indices, indptr), shape=(len(rows), len(panel.ids) * width)
        )
        owners = np.repeat(np.arange(len(panel.ids)), width)
        total_rows += len(rows)
        total_unknowns += int(matrix.getnnz(axis=0).astype(bool).sum())
        isolated.update(
            _member(metric, "panel", panel.ids[s]) for s in disclosed_owners(matrix, owners)
        )
    releases_with = len({release_id for release_id, *_ in published})
    return releases_with, AuditFindings(
        isolated=frozenset(isolated),
        small_groups=tuple(frozenset({m}) for m in sorted(isolated)),
        determined=types.MappingProxyType({q: frozenset(m) for q, m in determined.items()}),
        rows=total_rows,
        atoms=total_unknowns,
        k=k,
    )


def _month_of(day: Any) -> int:
    return int(day.year) * 12 + int(day.month) - 1


def _cohort_size(observed: Any, cohort: Any, months: list[int], g: int) -> int:
    """Persons of cohort g the estimator keeps (a value before g): its weight."""
    before = np.array(months) < g
    members = cohort == g
    return int((observed[members][:, before].any(axis=1)).sum())
