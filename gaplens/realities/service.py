"""Perceived speed-up (survey) against measured speed-up (workflow data), per scope.

Scopes: the organisation, each function, and each team (with the teams below it).
Perceived: the median answer to `perceived_speedup` ("how much faster, in %") by role level,
with its bootstrap interval, read from the survey's release like every perception figure.
Measured: for the organisation and each function, minus the staggered-adoption estimate of
the scope's workflow metric (cycle time where there are issues, time to resolution where
there are tickets: adopters against people not yet using AI over the same calendar months)
as a percentage of the adopters' level without AI, the ratio bootstrapped over both parts;
for a team, or where no staggered estimate is published, minus the users-vs-non-users
difference in differences as a percentage of the users' before-adoption level (that
interval treats the level as known). Both read from the measured release at or before the
data day.
The gap's interval combines both intervals (MOVER). Both sides are sums of published
classes, the same for every viewer, so rows cannot be differenced against each other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.metrics.registry import get_metric
from gaplens.metrics.schemas import (
    MetricFigure,
    MetricOverview,
    MetricScope,
    StabilityCheck,
    StaggeredFigures,
)
from gaplens.metrics.stability import direction, stability_check
from gaplens.perception.filters import PopulationFilter
from gaplens.perception.gap import FRONTLINE_ROLES, LEADER_ROLES, role_cell
from gaplens.privacy.binning import EDGES
from gaplens.realities.schemas import Interval, MeasuredMethod, RealityRow, ThreeRealities
from gaplens.releases.measured.queries import (
    measured_release,
    released_overviews,
    released_staggered,
)
from gaplens.releases.models import Release
from gaplens.releases.queries import SurveyRelease, latest_survey_release
from gaplens.stats import Estimate, binned_median, mover_difference
from gaplens.surveys.models import Survey
from gaplens.surveys.question_bank import BankEntry
from gaplens.wording import FRONTLINE, LEADERS

QUESTION = "perceived_speedup"
WORKFLOW_METRICS = (
    ("cycle_time", "cycle time (issues)"),
    ("time_to_resolution", "time to resolution (tickets)"),
)
ORGANISATION = "Whole organisation"
NOTES = [
    "Perceived: median answer to 'how much faster does AI make your work (%)' by role level, "
    f"95% interval; leaders ({LEADERS}) beside the frontline ({FRONTLINE}).",
    "Measured (organisation and functions): each month's adopters against people not yet "
    "using AI over the same calendar months (staggered adoption), as a share of the level "
    "adopters would have had without AI; the interval is bootstrapped over both the effect "
    "and that level; positive = faster.",
    "Measured (teams, or where the above is not published): the change in the workflow metric "
    "of AI users before vs after their own adoption date, minus the same change for non-users "
    "around their team's median adoption date (difference in differences), as a share of the "
    "users' level before adoption; that interval treats the level as known, and a change that "
    "hit everyone between the two groups' windows is counted as AI.",
    "Gap: perceived minus measured, in percentage points, with a 95% interval combining both.",
    "Beside the measured speed-up: the same comparison for the share of work reopened and the "
    "rework per item, because AI can raise speed and instability together (DORA, State of "
    "AI-assisted Software Development, 2025); a change is called only when its 95% interval "
    "leaves out zero.",
    "Teams include the teams below them. A team's figure is left out when too few people "
    "there can be published on their own (they are counted in a larger group).",
]


@dataclass(frozen=True)
class _Scope:
    label: str
    kind: str
    metric: MetricScope
    team_ids: frozenset[int] | None = None
    function: str | None = None
    team_key: str | None = None


@dataclass
class _Survey:
    """Every response's bands, and the answers to the perceived speed-up question."""

    entry: BankEntry | None
    roles: dict[str, str] = field(default_factory=dict)
    teams: dict[str, int | None] = field(default_factory=dict)
    functions: dict[str, str | None] = field(default_factory=dict)
    numbers: dict[str, list[float]] = field(default_factory=dict)
    """Response id -> its numbers (a response with an answer row but no number: [])."""


def _side(
    release: SurveyRelease | None, roles: Sequence[str], team: int | None, function: str | None
) -> tuple[Interval | None, int | None]:
    """The median perceived speed-up of these role levels in the scope (leaders or the
    frontline, gaplens/perception/gap.py), from the sum of their released groups; None when
    none is published."""
    cell = (
        None
        if release is None
        else role_cell(release, QUESTION, roles, team=team, function=function)
    )
    if cell is None or not cell[0]:
        return None, None
    median = binned_median(cell[1], EDGES)
    return Interval(estimate=median.value, low=median.low, high=median.high), cell[0]


def _perceived(
    release: SurveyRelease | None, team: int | None, function: str | None
) -> tuple[tuple[Interval | None, int | None], tuple[Interval | None, int | None]]:
    """Leaders' and the frontline's perceived speed-up: the same for every viewer, and sums
    of published groups, so rows cannot be differenced."""
    return (
        _side(release, LEADER_ROLES, team, function),
        _side(release, FRONTLINE_ROLES, team, function),
    )


def _measured(figure: MetricFigure) -> Interval | None:
    before = figure.parts.get("ai_users_before")
    if not figure.shown or not before or figure.value is None:
        return None
    assert figure.low is not None and figure.high is not None
    scale = -100.0 / before
    return Interval(estimate=figure.value * scale, low=figure.high * scale, high=figure.low * scale)


def _gap(perceived: Interval | None, measured: Interval | None) -> Interval | None:
    if perceived is None or measured is None:
        return None
    gap = mover_difference(
        Estimate(perceived.estimate, perceived.low, perceived.high),
        Estimate(measured.estimate, measured.low, measured.high),
    )
    return Interval(estimate=gap.value, low=gap.low, high=gap.high)


def data_as_of(session: Session, fallback: dt.date) -> dt.date:
    """The last day the imported usage or workflow data covers (the survey's end without)."""
    from gaplens.telemetry.models import AiUsageDay
    from gaplens.work.models import WorkItem

    usage = session.scalar(select(func.max(AiUsageDay.day)))
    resolved = session.scalar(select(func.max(WorkItem.resolved_at)))
    days = [d for d in (usage, resolved.date() if resolved else None) if d is not None]
    return max(days) if days else fallback


def _scopes(session: Session, organisation: int | None) -> list[_Scope]:
    """The organisation, its functions (sorted), then its teams in tree order."""
    if organisation is None:
        return [_Scope(ORGANISATION, "organisation", MetricScope(organisation_id=0))]
    org = MetricScope(organisation_id=organisation)
    scopes = [_Scope(ORGANISATION, "organisation", org)]
    functions = sorted(
        {
            f
            for f in session.scalars(
                select(Person.function).where(Person.organisation_id == organisation).distinct()
            )
            if f
        }
    )
    scopes += [
        _Scope(f, "function", org.model_copy(update={"function": f}), function=f) for f in functions
    ]
    teams = session.execute(
        select(Team.id, Team.key, Team.name, Team.parent_id)
        .where(Team.organisation_id == organisation)
        .order_by(Team.name, Team.id)
    ).all()
    children: dict[int | None, list[tuple[int, str, str]]] = defaultdict(list)
    for team_id, key, name, parent in teams:
        children[parent].append((team_id, key, name))

    def below(team_id: int) -> frozenset[int]:
        found, stack = set(), [team_id]
        while stack:
            current = stack.pop()
            found.add(current)
            stack.extend(child for child, _, _ in children.get(current, ()))
        return frozenset(found)

    def walk(parent: int | None) -> None:
        for team_id, key, name in children.get(parent, ()):
            scopes.append(
                _Scope(
                    name,
                    "team",
                    org.model_copy(update={"team_id": team_id}),
                    team_ids=below(team_id),
                    team_key=key,
                )
            )
            walk(team_id)

    walk(None)
    return scopes


def _staggered(figures: StaggeredFigures | None) -> Interval | None:
    """Minus the staggered speed-up in %: positive = faster (lower is better for both
    workflow metrics)."""
    if figures is None or figures.speed_up is None:
        return None
    s = figures.speed_up
    return Interval(estimate=-100.0 * s.estimate, low=-100.0 * s.high, high=-100.0 * s.low)


@dataclass(frozen=True)
class _Measure:
    value: Interval | None
    label: str
    n: dict[str, int]
    reason: str | None
    method: MeasuredMethod | None = None
    stability: StabilityCheck | None = None


def _stability(
    session: Session,
    release: Release,
    scope: MetricScope,
    key: str,
    method: MeasuredMethod,
    value: Interval,
    counters: Sequence[MetricOverview],
) -> StabilityCheck:
    """The speed-up's counter-metrics (`counters`: their overviews from the same release and
    scope) by the same estimator, and the verdict (`value`: positive = faster)."""
    overviews = {
        o.metric.key: o.model_copy(
            update={"staggered": released_staggered(session, release, o.metric.key, scope)}
        )
        if method == "staggered"
        else o
        for o in counters
        if o.metric.key in get_metric(key).counter_metrics
    }
    # Positive = faster: the same reading as an effect on a "higher is better" metric.
    return stability_check(key, method, direction(value.low, value.high, "higher"), overviews)


def _measure(session: Session, release: Release | None, scope: _Scope) -> _Measure:
    """The first workflow metric with a measured speed-up: the staggered estimate where the
    release publishes one for the scope, else the users-vs-non-users difference in
    differences; or the reason there is none."""
    if release is None:
        return _Measure(None, "", {}, "no measured figures released yet")
    label, reason, n = "", None, {}
    keys = [key for key, _ in WORKFLOW_METRICS]
    counters = sorted({c for key in keys for c in get_metric(key).counter_metrics})
    # One read for the workflow metrics and their counter-metrics.
    overviews = released_overviews(session, release, scope.metric, [*keys, *counters])
    beside = overviews[len(keys) :]
    for overview, (key, label) in zip(overviews[: len(keys)], WORKFLOW_METRICS, strict=True):
        figures = released_staggered(session, release, key, scope.metric)
        value = _staggered(figures)
        if value is not None and figures is not None:
            check = _stability(session, release, scope.metric, key, "staggered", value, beside)
            return _Measure(value, label, dict(figures.n), None, "staggered", check)
        figure = overview.users_vs_non_users
        reason, n = figure.not_enough_data, figure.n
        value = _measured(figure)
        if value is not None:
            check = _stability(
                session, release, scope.metric, key, "users_vs_non_users", value, beside
            )
            return _Measure(value, label, n, None, "users_vs_non_users", check)
    return _Measure(None, label, n, reason)


@dataclass(frozen=True)
class SpeedUp:
    """One workflow metric's measured speed-up in % (positive = faster), or why there is none."""

    value: Interval | None
    n: int | None
    reason: str | None


def speed_up(session: Session, release: Release | None, scope: MetricScope, key: str) -> SpeedUp:
    """The staggered estimate where the measured release publishes one for the scope, else
    the users-vs-non-users difference in differences (the realities' rule, for one metric)."""
    if release is None:
        return SpeedUp(None, None, "no measured figures released yet")
    figures = released_staggered(session, release, key, scope)
    value = _staggered(figures)
    if value is not None and figures is not None:
        return SpeedUp(value, sum(figures.n.values()) or None, None)
    (overview,) = released_overviews(session, release, scope, [key])
    figure = overview.users_vs_non_users
    value = _measured(figure)
    if value is not None:
        return SpeedUp(value, sum(figure.n.values()) or None, None)
    return SpeedUp(None, None, figure.not_enough_data or "not enough data to measure it")


def three_realities(session: Session, survey: Survey, as_of: dt.date) -> ThreeRealities:
    """One row per scope with any figure: both sides read from releases (the survey's, and
    the measured release at or before `as_of`), the same for every viewer."""
    organisation = session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
    measured = None if organisation is None else measured_release(session, organisation, as_of)
    release = latest_survey_release(session, survey)
    rows: list[RealityRow] = []
    left_out = 0
    for scope in _scopes(session, organisation):
        refused = False
        (leaders, leaders_n), (frontline, frontline_n) = _perceived(
            release, scope.metric.team_id, scope.function
        )
        got = _measure(session, measured, scope)
        value = got.value
        if scope.kind != "organisation" and leaders is None and frontline is None and not value:
            left_out += scope.kind == "team"
            continue
        rows.append(
            RealityRow(
                scope=scope.label,
                kind=scope.kind,
                team_key=scope.team_key,
                measure=got.label,
                measured_method=got.method,
                leaders_perceived=leaders,
                leaders_n=leaders_n,
                frontline_perceived=frontline,
                frontline_n=frontline_n,
                measured=value,
                measured_n=got.n if value is not None else {},
                stability=got.stability,
                leaders_gap=_gap(leaders, value),
                frontline_gap=_gap(frontline, value),
                reason=got.reason,
                perception_refused=refused,
            )
        )
    day = measured.answers_through if measured is not None else as_of
    return ThreeRealities(as_of=day.isoformat(), rows=rows, notes=NOTES, teams_left_out=left_out)


@dataclass(frozen=True)
class RealityScope:
    """A report's scope: whose answers (declared filters) and whose work (the directory)."""

    label: str
    population: PopulationFilter
    metric: MetricScope


def scope_realities(
    session: Session, survey: Survey, as_of: dt.date, scope: RealityScope
) -> ThreeRealities:
    """The one row of a report narrowed to a function or a team, both sides from releases."""
    refused = False
    (leaders, leaders_n), (frontline, frontline_n) = _perceived(
        latest_survey_release(session, survey), scope.metric.team_id, scope.population.function
    )
    measured = measured_release(session, scope.metric.organisation_id, as_of)
    kind = "team" if scope.metric.team_id is not None else "function"
    got = _measure(session, measured, _Scope(scope.label, kind, scope.metric))
    value = got.value
    row = RealityRow(
        scope=scope.label,
        kind=kind,
        measure=got.label,
        measured_method=got.method,
        leaders_perceived=leaders,
        leaders_n=leaders_n,
        frontline_perceived=frontline,
        frontline_n=frontline_n,
        measured=value,
        measured_n=got.n if value is not None else {},
        stability=got.stability,
        leaders_gap=_gap(leaders, value),
        frontline_gap=_gap(frontline, value),
        reason=got.reason,
        perception_refused=refused,
    )
    day = measured.answers_through if measured is not None else as_of
    return ThreeRealities(as_of=day.isoformat(), rows=[row], notes=NOTES)
