"""Measurement methods mapped onto the metric service's figures, shared by criteria and wins.

Nothing here computes a metric itself: every number is a `MetricFigure` from
`gaplens.metrics.service.metric_overview`, so the definitions, the per-person values, the
privacy threshold (fewer than 5 persons in any group -> no number) and the intervals are the
metric service's. This module only picks the figure a method reads and, for "current value
vs baseline", combines two figures into a change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.errors import InputProblem
from gaplens.metrics.queries import load_teams, scope_filter
from gaplens.metrics.schemas import MetricFigure, MetricScope
from gaplens.metrics.service import MEMBER_PREFIX as METRIC_MEMBER_PREFIX
from gaplens.metrics.service import metric_overview
from gaplens.privacy import PrivacyGate, PrivacyPolicy, QueryRefused
from gaplens.stats import Estimate, mover_difference

Method = Literal["current_vs_baseline", "within_person", "difference_in_differences"]

METHODS: dict[str, str] = {
    "current_vs_baseline": "Current value vs baseline",
    "within_person": "Within-person before/after",
    "difference_in_differences": "Difference-in-differences vs non-users",
}
METHOD_NOTES: dict[str, str] = {
    "current_vs_baseline": (
        "The scope's current value (mean or median of per-person values) over the measured "
        "window minus the baseline; MOVER interval from the two figures' own intervals "
        "(treated as independent, which is conservative when the same people are in both)."
    ),
    "within_person": (
        "The metric service's mean within-person change of AI users: each user's window before "
        "their own adoption date against the window starting 14 days after it, for users whose "
        "after window has ended; bootstrap interval resampling persons."
    ),
    "difference_in_differences": (
        "The metric service's difference-in-differences: AI users' mean within-person change "
        "minus non-users' change around their team's median adoption date; stratified "
        "bootstrap interval."
    ),
}
CHANGE_METHOD = "current minus baseline (MOVER interval)"


def first_organisation(session: Session) -> int | None:
    """gaplens holds one organisation; the first one is it (as everywhere else)."""
    return session.scalars(select(Organisation.id).order_by(Organisation.id)).first()


@dataclass(frozen=True)
class ResolvedScope:
    scope: MetricScope
    label: str
    team_key: str | None


def resolve_scope(
    session: Session,
    organisation_id: int,
    team: str | None,
    function: str | None,
    problems: list[InputProblem],
) -> ResolvedScope | None:
    """A team key or a function name (or neither: the organisation) -> a MetricScope.

    Problems are appended (so a form can show all of them at once); None if any.
    """
    team = (team or "").strip() or None
    function = (function or "").strip() or None
    if team is not None and function is not None:
        problems.append(InputProblem("choose a team or a function, not both", column="scope"))
        return None
    if team is not None:
        row = session.execute(
            select(Team.id, Team.name).where(
                Team.organisation_id == organisation_id, Team.key == team
            )
        ).first()
        if row is None:
            problems.append(InputProblem(f"unknown team {team!r}", column="team"))
            return None
        return ResolvedScope(
            MetricScope(organisation_id=organisation_id, team_id=row[0]), f"Team {row[1]}", team
        )
    if function is not None:
        known = functions(session, organisation_id)
        if function not in known:
            problems.append(
                InputProblem(
                    f"unknown function {function!r}; known: {', '.join(known) or 'none'}",
                    column="function",
                )
            )
            return None
        return ResolvedScope(
            MetricScope(organisation_id=organisation_id, function=function), function, None
        )
    return ResolvedScope(MetricScope(organisation_id=organisation_id), "Whole organisation", None)


def scope_of(
    session: Session, organisation_id: int, team_id: int | None, function: str | None
) -> ResolvedScope:
    """The stored scope of a criterion or win, with its label."""
    if team_id is not None:
        key, name = session.execute(select(Team.key, Team.name).where(Team.id == team_id)).one()
        return ResolvedScope(
            MetricScope(organisation_id=organisation_id, team_id=team_id), f"Team {name}", key
        )
    if function is not None:
        return ResolvedScope(
            MetricScope(organisation_id=organisation_id, function=function), function, None
        )
    return ResolvedScope(MetricScope(organisation_id=organisation_id), "Whole organisation", None)


def functions(session: Session, organisation_id: int) -> list[str]:
    rows = session.scalars(
        select(Person.function).where(Person.organisation_id == organisation_id).distinct()
    )
    return sorted(f for f in rows if f)


def teams(session: Session, organisation_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Team.key, Team.name)
        .where(Team.organisation_id == organisation_id)
        .order_by(Team.name)
    )
    return [(key, name) for key, name in rows]


def scope_members(session: Session, scope: MetricScope) -> frozenset[str]:
    """The persons in a scope, as the members the per-viewer differencing audit compares.

    The same form as the metric views' (`gaplens.metrics.service.MEMBER_PREFIX` + person id),
    so a viewer's metric pages, criteria and wins share one history: a criterion on a team
    cannot be subtracted from a metric page on its parent either. The audit table stores
    such members hashed (`gaplens.audit.service.stored_member`), never as person ids.
    """
    subtree = None
    if scope.team_id is not None:
        subtree = load_teams(session, scope.organisation_id).subtree(scope.team_id)
    ids = session.scalars(scope_filter(scope.organisation_id, subtree, scope.function))
    return frozenset(METRIC_MEMBER_PREFIX + pid for pid in ids)


def withheld_reason(
    session: Session, scope: MetricScope, gate: PrivacyGate | None, viewer: str
) -> str | None:
    """Privacy rule 3 for a staff viewer: why this scope's numbers may not be shown to them,
    or None if they may (always None without a gate: the report and the command line)."""
    if gate is None:
        return None
    try:
        if gate.release_group(viewer, scope_members(session, scope)):
            return None
    except QueryRefused as refused:
        return str(refused)
    return f"fewer than {gate.policy.min_group_size} people in this scope"


def within(session: Session, scope: MetricScope, team_id: int | None, function: str | None) -> bool:
    """Whether something scoped to a team (with its sub-teams) or a function lies within
    `scope`: a team scope holds its subtree's teams, a function scope its function's."""
    if scope.team_id is not None:
        subtree = load_teams(session, scope.organisation_id).subtree(scope.team_id)
        if team_id not in subtree:
            return False
    if scope.function is not None:
        own = function
        if team_id is not None:
            own = session.scalar(select(Team.function).where(Team.id == team_id))
        if own != scope.function:
            return False
    return True


def window_figure(
    session: Session,
    metric_key: str,
    scope: MetricScope,
    start: dt.date,
    end: dt.date,
    policy: PrivacyPolicy,
) -> MetricFigure:
    """The metric's value for the scope over [start, end] (both inclusive)."""
    days = (end - start).days + 1
    return metric_overview(session, metric_key, scope, end, days, policy=policy).current


@dataclass(frozen=True)
class Measurement:
    figure: MetricFigure
    """The metric service's figure the method reads (the current value, the within-person
    change, or the difference in differences)."""
    change: MetricFigure
    """The measured change in the metric's unit, with its interval, or the reason there is
    none."""

    def relative(self, baseline: MetricFigure) -> tuple[float, float, float] | None:
        """The change as a fraction of the baseline (estimate, low, high)."""
        if not (self.change.shown and baseline.shown) or not baseline.value:
            return None
        assert self.change.value is not None and self.change.low is not None
        assert self.change.high is not None
        base = abs(baseline.value)
        return (self.change.value / base, self.change.low / base, self.change.high / base)


def _estimate(figure: MetricFigure) -> Estimate:
    assert figure.value is not None and figure.low is not None and figure.high is not None
    return Estimate(figure.value, figure.low, figure.high, figure.confidence)


def change_from_baseline(current: MetricFigure, baseline: MetricFigure) -> MetricFigure:
    """current - baseline with the MOVER interval, or the reason one of them is missing."""
    if not baseline.shown:
        return MetricFigure.missing(CHANGE_METHOD, f"no baseline: {baseline.not_enough_data}")
    if not current.shown:
        return MetricFigure.missing(CHANGE_METHOD, str(current.not_enough_data))
    diff = mover_difference(_estimate(current), _estimate(baseline))
    return MetricFigure(
        method=CHANGE_METHOD,
        value=diff.value,
        low=diff.low,
        high=diff.high,
        n={
            "baseline": sum(baseline.n.values()),
            "current": sum(current.n.values()),
        },
        parts={"baseline": _estimate(baseline).value, "current": _estimate(current).value},
    )


def measure(
    session: Session,
    metric_key: str,
    scope: MetricScope,
    method: str,
    baseline: MetricFigure,
    start: dt.date,
    end: dt.date,
    window_days: int,
    policy: PrivacyPolicy,
) -> Measurement:
    """The method's figure for the period [start, end].

    current_vs_baseline: the current value over [start, end] against `baseline`.
    within_person / difference_in_differences: the metric service's figure as of `end`,
    with before and after windows of `window_days` around each person's adoption date.
    """
    if method == "current_vs_baseline":
        current = window_figure(session, metric_key, scope, start, end, policy)
        return Measurement(current, change_from_baseline(current, baseline))
    overview = metric_overview(session, metric_key, scope, end, window_days, policy=policy)
    if method == "within_person":
        return Measurement(overview.before_after, overview.before_after)
    if method == "difference_in_differences":
        return Measurement(overview.users_vs_non_users, overview.users_vs_non_users)
    raise ValueError(f"unknown method {method!r}")
