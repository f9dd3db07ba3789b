"""Building measured releases: the one place that turns people's metric values into figures.

One release per month end, once the month is over and the data reaches it; a month already
released is never rewritten, so a build adds the months since the last one (the first build
starts at most `DEFAULT_MONTHS` month ends back). Every metric gets three kinds of class:

- `current`: people with a value over the window ending on the month end, by team, function
  and AI-tenure band (6+ months, newer, other). Values are new each month, so each month is
  coarsened afresh (`coarsen`) until every class holds at least k people whose values are not
  all alike (for AI-usage intensity, whose levels are published, levels not all alike).
- `users` and `controls`: AI users and non-users with values before and after their pivot.
  Those values do not change from month to month, so subtracting two months' figures would
  tell the value of whoever joined or left in between. A person is therefore *admitted*
  once, in a group of at least k newcomers whose values are not all alike, with the code of
  that group and the values they had then, and stays in every later release with both: the
  figures of a scope only ever grow by whole groups of newcomers, never lose anyone.

A figure for a scope (the organisation, a function, a team with its sub-teams, a team and
a function) is computed over the classes whose code lies inside it, so every figure is a
sum over whole classes, and stored whole: a page reads it, never recomputes it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from gaplens.config import SustainedUseRule, sustained_use_rule
from gaplens.directory.models import Organisation, Person
from gaplens.metrics.definitions import LEVELS, Metric, usage_levels
from gaplens.metrics.prefetch import MIN_WORK_ITEMS, WorkPrefetch, start_work_prefetch
from gaplens.metrics.registry import REGISTRY
from gaplens.metrics.schemas import MetricFigure, MetricOverview, MetricScope, UsageLevels
from gaplens.metrics.service import (
    MeasuredData,
    Sample,
    Settings,
    load_measured,
    overview_of,
    tenure_bands,
)
from gaplens.privacy.policy import PrivacyPolicy
from gaplens.privacy.recoding import Code, TeamTree, coarsen, whole
from gaplens.releases.measured.models import MeasuredClass, MeasuredFigure, MeasuredLineage
from gaplens.releases.measured.staggered import (
    DEFAULT_RESAMPLES as STAGGERED_RESAMPLES,
)
from gaplens.releases.measured.staggered import (
    freeze_month,
    load_panel,
    save_panel,
    staggered_rows,
    write_staggered,
)
from gaplens.releases.models import Release
from gaplens.releases.queries import cell_predicate
from gaplens.releases.service import BuildOutcome, previous_releases, team_tree, write_release
from gaplens.telemetry.adoption import (
    derived_persons,
    find_adoption_dates,
    store_adoption_dates,
)
from gaplens.telemetry.models import AiUsageDay
from gaplens.work.models import WorkItem

DATASET_PREFIX = "metrics:"
ALIKE = (
    "not released: the values before and after adoption are alike for everyone with data "
    "(for AI usage: nobody used AI before adopting it), so a figure would tell each person's"
)
DEFAULT_MONTHS = 12
LINEAGE_KINDS = ("users", "controls")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Scope = tuple[int | None, str | None]
"""(team, function) of a released figure; None: not narrowed on that dimension."""


def dataset_of(organisation_id: int) -> str:
    return f"{DATASET_PREFIX}{organisation_id}"


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month end from the one of `first`'s month through `last` (inclusive)."""
    found, current = [], month_end(first)
    while current <= last:
        found.append(current)
        current = month_end(current + dt.timedelta(days=1))
    return found


def classes(
    codes: Mapping[int, Code], checks: Sequence[FloatArray], k: int, tree: TeamTree
) -> dict[int, Code]:
    """Where each person (an index into the `checks` arrays) lands: groups of at least k
    whose values are not all alike in any of `checks`; the rest are left out.

    Groups are first coarsened to at least k. A group whose values are then all alike (a
    team where nobody's work was reopened: its mean of 0 would tell each member's) moves
    one step up and takes the smallest class already kept inside that step's code with it,
    so it is published inside a mixed group rather than dropped (which would bias every
    figure above it), at the cost of that one class's own figure.
    """
    placed = dict(coarsen(codes, whole(lambda members: len(members) >= k), tree).codes)
    stacked = np.vstack(checks) if checks else np.zeros((0, 0))

    def alike(members: Sequence[int]) -> bool:
        if not checks:
            return False
        block = stacked[:, np.fromiter(members, dtype=np.int64, count=len(members))]
        return bool((block == block[:, :1]).all(axis=1).any())

    groups: dict[Code, list[int]] = defaultdict(list)
    for person, code in placed.items():
        groups[code].append(person)
    bad = {code for code, members in groups.items() if alike(members)}
    while bad:
        code = max(bad, key=lambda c: (tree.rank(c), c.key()))
        bad.discard(code)
        moving = groups.pop(code)
        up = tree.up(code)
        if up is None:
            for person in moving:
                del placed[person]
            continue
        target = groups.pop(up, [])
        bad.discard(up)
        if alike(target + moving):
            inside = cell_predicate(tree, team=up.team, function=up.function, tenure=up.tenure)
            mixed = [c for c in groups if c not in bad and inside(c)]
            if mixed:
                moving += groups.pop(min(mixed, key=lambda c: (len(groups[c]), c.key())))
        groups[up] = target + moving
        for person in moving:
            placed[person] = up
        if alike(groups[up]):
            bad.add(up)
    return placed


def level_index(values: FloatArray, cut_points: tuple[float, float, float]) -> FloatArray:
    """0 (none) to 4 (heavy), with the organisation's cut points (see `usage_levels`)."""
    q1, q2, q3 = cut_points
    levels = np.select(
        [values <= 0, values <= q1, values <= q2, values <= q3], [0, 1, 2, 3], default=4
    )
    return levels.astype(np.float64)


@dataclass(frozen=True)
class Member:
    """A person admitted to a metric's `users` or `controls` figures, for good."""

    code: Code
    since: dt.date
    before: float
    after: float


Lineages = dict[tuple[str, str], dict[str, Member]]
"""(metric, kind) -> person id -> member."""


def _load_lineages(session: Session, dataset: str) -> Lineages:
    found: Lineages = defaultdict(dict)
    for row in session.scalars(select(MeasuredLineage).where(MeasuredLineage.dataset == dataset)):
        code = Code(row.team_id, row.function)
        found[(row.metric, row.lineage)][row.person_id] = Member(
            code, row.since, row.before, row.after
        )
    return found


def _scopes(tree: TeamTree, persons: Iterable[tuple[int, str]]) -> set[Scope]:
    """The organisation, each function, each team, and each team with each function where
    its people work in more than one (else that is the team's own figure)."""
    functions_of: dict[int, set[str]] = defaultdict(set)
    for team, function in persons:
        current: int | None = team
        while current is not None:
            functions_of[current].add(function)
            current = tree.parents.get(current)
    scopes: set[Scope] = {(None, None)}
    scopes |= {(None, f) for fs in functions_of.values() for f in fs}
    for team, fs in functions_of.items():
        scopes.add((team, None))
        if len(fs) > 1:
            scopes |= {(team, f) for f in fs}
    return scopes


def _containing(code: Code, tree: TeamTree, scopes: set[Scope]) -> list[Scope]:
    """The released scopes a class with this code lies inside (`cell_predicate`)."""
    teams: list[int | None] = [None]
    current = code.team
    while current is not None:
        teams.append(current)
        current = tree.parents.get(current)
    functions: list[str | None] = [None] if code.function is None else [None, code.function]
    return [(t, f) for t in teams for f in functions if (t, f) in scopes]


def by_scope(
    codes: Mapping[int, Code], tree: TeamTree, scopes: set[Scope]
) -> dict[Scope, IntArray]:
    """Each scope's members: the persons whose class code lies inside it."""
    per_code: dict[Code, list[int]] = defaultdict(list)
    for person, code in codes.items():
        per_code[code].append(person)
    found: dict[Scope, list[int]] = defaultdict(list)
    for code, members in per_code.items():
        for scope in _containing(code, tree, scopes):
            found[scope].extend(members)
    return {scope: np.array(sorted(members), dtype=np.int64) for scope, members in found.items()}


@dataclass
class _Month:
    """One month end's classes and figures, ready to write."""

    end: dt.date
    classes: list[dict[str, object]]
    figures: list[dict[str, object]]
    included: set[int]
    with_data: set[int]


def _band_labels(view: MeasuredData) -> npt.NDArray[np.object_]:
    pivot, adoption = view.pivots()
    veteran, newer = tenure_bands(pivot, adoption, view.settings)
    return np.where(veteran, "veteran", np.where(newer, "newer", "other")).astype(object)


def _month(
    view: MeasuredData,
    metrics: Sequence[Metric],
    lineages: Lineages,
    tree: TeamTree,
    k: int,
    organisation_id: int,
) -> _Month:
    """Classes and figures of every metric as of `view`'s day; admits newcomers to
    `lineages` (in place)."""
    ids = view.person_ids
    teams, functions = view.team_ids(), view.functions()
    bands = _band_labels(view)
    scopes = _scopes(tree, zip(teams.tolist(), functions.tolist(), strict=True))
    month = _Month(view.settings.as_of, [], [], set(), set())

    def code_of(i: int, band: str | None = None) -> Code:
        return Code(int(teams[i]), str(functions[i]), None, band)

    for metric in metrics:
        values = view.values(metric)
        who = view.contributors(metric)
        current = values.current
        with_data = np.flatnonzero(who.current)
        month.with_data.update(with_data.tolist())
        check, levels_cut = current, None
        if metric.key == "ai_usage_intensity":
            split = usage_levels(current[with_data])
            if split is not None:
                levels_cut = split.cut_points
                check = level_index(current, levels_cut)
        placed = classes(
            {int(i): code_of(int(i), str(bands[i])) for i in with_data}, [check], k, tree
        )
        month.included.update(placed)
        month.classes += _class_rows(metric.key, "current", placed.values())

        for kind, mask in (("users", who.treated), ("controls", who.control)):
            lineage = lineages[(metric.key, kind)]
            newcomers = {
                int(i): code_of(int(i)) for i in np.flatnonzero(mask) if ids[i] not in lineage
            }
            # Before, after and the change between them: a group whose changes are all alike
            # would tell each member's through the published mean change.
            change = values.after - values.before
            got = classes(newcomers, [values.before, values.after, change], k, tree)
            for i, code in got.items():
                lineage[ids[i]] = Member(
                    code, month.end, float(values.before[i]), float(values.after[i])
                )
            month.classes += _class_rows(metric.key, kind, (m.code for m in lineage.values()))

        # Enough people had before/after values, yet no group of them could be published:
        # their values are all alike (no AI use before adopting, for AI-usage intensity).
        alike = (int(who.treated.sum()) >= k and not lineages[(metric.key, "users")]) or (
            int(who.control.sum()) >= k and not lineages[(metric.key, "controls")]
        )
        current_by = by_scope(placed, tree, scopes)
        veteran_by = by_scope(
            {i: c for i, c in placed.items() if c.tenure == "veteran"}, tree, scopes
        )
        newer_by = by_scope({i: c for i, c in placed.items() if c.tenure == "newer"}, tree, scopes)
        kinds = {kind: _lineage_arrays(lineages[(metric.key, kind)]) for kind in LINEAGE_KINDS}
        kind_by = {kind: by_scope(kinds[kind][0], tree, scopes) for kind in LINEAGE_KINDS}
        _, users_before, users_after = kinds["users"]
        _, controls_before, controls_after = kinds["controls"]
        empty = np.empty(0, dtype=np.int64)
        computed: dict[tuple[bytes, ...], MetricOverview] = {}
        for scope in sorted(scopes, key=_scope_key):
            members = current_by.get(scope, empty)
            users, controls = (
                kind_by["users"].get(scope, empty),
                kind_by["controls"].get(scope, empty),
            )
            if not (members.size or users.size or controls.size):
                continue
            veteran = veteran_by.get(scope, empty)
            newer = newer_by.get(scope, empty)
            team, function = scope
            label = MetricScope(organisation_id=organisation_id, team_id=team, function=function)
            # Scopes with exactly the same people (a function that is one department, a team
            # with one sub-team holding everyone) get the same figures: computed once.
            same = tuple(a.tobytes() for a in (members, users, controls, veteran, newer))
            if same in computed:
                month.figures.append(_figure_row(scope, metric, computed[same], label))
                continue
            sample = Sample(
                current=current[members],
                treated_before=users_before[users],
                treated_after=users_after[users],
                control_before=controls_before[controls],
                control_after=controls_after[controls],
                veteran=current[veteran],
                newer=current[newer],
            )
            levels = (
                None
                if levels_cut is None or metric.key != "ai_usage_intensity"
                else _levels(check[members], levels_cut)
            )
            overview = overview_of(metric, sample, label, view.settings, levels)
            if alike:
                overview = overview.model_copy(
                    update={
                        "before_after": MetricFigure.missing(overview.before_after.method, ALIKE),
                        "users_vs_non_users": MetricFigure.missing(
                            overview.users_vs_non_users.method, ALIKE
                        ),
                    }
                )
            computed[same] = overview
            month.figures.append(_figure_row(scope, metric, overview, label))
    return month


def _figure_row(
    scope: Scope, metric: Metric, overview: MetricOverview, label: MetricScope
) -> dict[str, object]:
    team, function = scope
    if overview.scope != label:
        overview = overview.model_copy(update={"scope": label})
    return {
        "team_id": team,
        "function": function,
        "metric": metric.key,
        "overview": overview.model_dump(mode="json"),
    }


def _scope_key(scope: Scope) -> tuple[int, str]:
    team, function = scope
    return (-1 if team is None else team, function or "")


def _levels(levels: FloatArray, cut_points: tuple[float, float, float]) -> UsageLevels | None:
    """Persons per usage level over whole classes (each holding two levels at least), with
    the organisation's cut points; no counts when nobody used AI."""
    counts = np.bincount(levels.astype(np.int64), minlength=len(LEVELS))
    if levels.size == 0 or counts[0] == levels.size:
        return None
    return UsageLevels(
        cut_points=cut_points,
        counts={level: int(counts[i]) for i, level in enumerate(LEVELS)},
        n=int(levels.size),
    )


def _lineage_arrays(
    lineage: Mapping[str, Member],
) -> tuple[dict[int, Code], FloatArray, FloatArray]:
    members = [lineage[pid] for pid in sorted(lineage)]
    codes = {i: m.code for i, m in enumerate(members)}
    before = np.array([m.before for m in members], dtype=np.float64)
    after = np.array([m.after for m in members], dtype=np.float64)
    return codes, before, after


def _class_rows(metric: str, kind: str, codes: Iterable[Code]) -> list[dict[str, object]]:
    counts: dict[Code, int] = defaultdict(int)
    for code in codes:
        counts[code] += 1
    return [
        {
            "metric": metric,
            "lineage": kind,
            "team_id": code.team,
            "function": code.function,
            "band": code.tenure,
            "n": n,
        }
        for code, n in sorted(counts.items(), key=lambda item: item[0].key())
    ]


def data_end(session: Session, organisation_id: int) -> dt.date | None:
    """The last day every source with data reaches: the earlier of the last work-item day
    and the last AI-usage day of the organisation's people (a source with no rows at all
    does not hold the others back). A month is released once, so it waits until all the
    sources an organisation imports have reached its end, not just the first one imported."""
    people = select(Person.id).where(Person.organisation_id == organisation_id)
    created, resolved = session.execute(
        select(func.max(WorkItem.created_at), func.max(WorkItem.resolved_at)).where(
            WorkItem.person_id.in_(people)
        )
    ).one()
    usage = session.scalar(select(func.max(AiUsageDay.day)).where(AiUsageDay.person_id.in_(people)))
    work_days = [d.date() for d in (created, resolved) if d is not None]
    ends = [max(work_days)] if work_days else []
    if usage is not None:
        ends.append(usage)
    return min(ends) if ends else None


def build_measured_release(
    session: Session,
    organisation_id: int,
    policy: PrivacyPolicy,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    months: int = DEFAULT_MONTHS,
    prefetch_min_items: int = MIN_WORK_ITEMS,
    staggered_resamples: int = STAGGERED_RESAMPLES,
    adoption_rule: SustainedUseRule | None = None,
) -> BuildOutcome:
    """Release every month end since the last release that is over and that the data
    reaches (at most `months` back on a first build). Returns the latest release written.
    With at least `prefetch_min_items` work items a child process loads them. The
    staggered-adoption estimate is published with the latest month end of the build (a
    first build freezes every month's panel values but estimates only once, with all of
    them); `staggered_resamples` budgets its bootstrap. First, people with AI usage but no
    adoption date get one from telemetry up to the last month end (`adoption_rule`,
    default from the environment: gaplens/telemetry/adoption.py)."""
    today = today or dt.date.today()
    dataset = dataset_of(organisation_id)
    previous = previous_releases(session, dataset)
    reached = data_end(session, organisation_id)
    if reached is None:
        return BuildOutcome(None, "no work items or AI usage yet: nothing to release")
    last_over = month_end(today.replace(day=1) - dt.timedelta(days=1))
    candidates = month_ends(dt.date(reached.year - 1, reached.month, 1), min(reached, last_over))
    if reached < month_end(reached):
        candidates = [end for end in candidates if end <= reached]
    candidates = candidates[-months:]
    if previous:
        candidates = [end for end in candidates if end > previous[-1].answers_through]
    if not candidates:
        through = previous[-1].answers_through.isoformat() if previous else "none yet"
        return BuildOutcome(None, f"measured figures up to date (released through {through})")

    rule = adoption_rule or sustained_use_rule()
    # Found now, stored with the release: the child below reads only committed rows, so it
    # gets them in its request and both load with the same adoption dates.
    derived = find_adoption_dates(session, organisation_id, candidates[-1], rule)
    scope = MetricScope(organisation_id=organisation_id)
    # Work items are the big load: a child process fetches them (on a file or server
    # database, from a single-threaded process such as the CLI) while this one goes on.
    prefetch = start_work_prefetch(
        session,
        scope,
        Settings(candidates[-1], policy=policy),
        earliest=candidates[0],
        min_items=prefetch_min_items,
        adopted=derived or None,
    )
    try:
        return _build(
            session,
            organisation_id,
            policy,
            candidates,
            previous,
            now,
            prefetch,
            staggered_resamples,
            derived,
            rule,
        )
    finally:
        if prefetch is not None:
            prefetch.close()


def _build(
    session: Session,
    organisation_id: int,
    policy: PrivacyPolicy,
    candidates: Sequence[dt.date],
    previous: list[Release],
    now: dt.datetime | None,
    prefetch: WorkPrefetch | None,
    staggered_resamples: int = STAGGERED_RESAMPLES,
    derived: Mapping[str, dt.date] | None = None,
    rule: SustainedUseRule | None = None,
) -> BuildOutcome:
    dataset = dataset_of(organisation_id)
    k = policy.min_group_size
    metrics = list(REGISTRY.values())
    measured = load_measured(
        session,
        MetricScope(organisation_id=organisation_id),
        candidates[-1],
        policy=policy,
        earliest=candidates[0],
        prefetch=prefetch,
        adopted=derived,
    )
    tree = team_tree(session)
    lineages = _load_lineages(session, dataset)
    known = {key: set(members) for key, members in lineages.items()}
    panel = load_panel(session, dataset)
    release: Release | None = None
    for end in candidates:
        freeze_month(panel, measured, end)
        view = measured if end == candidates[-1] else measured.at(end)
        month = _month(view, metrics, lineages, tree, k, organisation_id)
        release = write_release(
            session,
            dataset=dataset,
            previous=previous,
            cutoff=end + dt.timedelta(days=1),
            answers_through=end,
            now=now,
            k=k,
            included=len(month.included),
            withheld=len(month.with_data - month.included),
        )
        previous.append(release)
        if month.classes:
            session.execute(
                insert(MeasuredClass), [{"release_id": release.id, **row} for row in month.classes]
            )
        if month.figures:
            session.execute(
                insert(MeasuredFigure), [{"release_id": release.id, **row} for row in month.figures]
            )
    new_rows = [
        {
            "dataset": dataset,
            "metric": metric,
            "lineage": kind,
            "person_id": person,
            "team_id": member.code.team,
            "function": member.code.function,
            "since": member.since,
            "before": member.before,
            "after": member.after,
        }
        for (metric, kind), members in lineages.items()
        for person, member in members.items()
        if person not in known.get((metric, kind), set())
    ]
    if new_rows:
        session.execute(insert(MeasuredLineage), new_rows)
    assert release is not None
    if derived:
        store_adoption_dates(session, derived, candidates[-1], rule or sustained_use_rule())
    save_panel(session, panel)
    write_staggered(
        session,
        release.id,
        staggered_rows(
            panel,
            candidates[-1],
            k,
            resamples=staggered_resamples,
            derived=derived_persons(session, organisation_id),
        ),
    )
    session.flush()
    span = ", ".join(end.strftime("%B %Y") for end in candidates)
    return BuildOutcome(release, f"released measured figures for {span}")


def build_measured_releases(
    session: Session, policy: PrivacyPolicy, *, today: dt.date | None = None
) -> list[tuple[str, BuildOutcome]]:
    """A measured build for every organisation, each named for the command's report."""
    return [
        (f"Measured figures ({name})", build_measured_release(session, org_id, policy, today=today))
        for org_id, name in session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.id)
        )
    ]
