"""Measurement methods mapped onto the measured release, shared by criteria and wins.

Nothing here computes a metric: every number is a figure of the measured release
(`gaplens.releases.measured.queries.released_overviews`), published per organisation for
each month end over whole classes of people, the same for every viewer. A period snaps to
released month ends: "current value vs baseline" compares the `current` figures (the 90 days
to a month end) of the month end at or before the baseline's end and of the month end at or
before the period's end; the within-person and difference-in-differences methods read the
release's `before_after` / `users_vs_non_users` of the month end at or before the period's
end. A period with no released month end in it says so and gets no figure: nothing is ever
computed per request. Combining two released figures into a change (MOVER) is arithmetic on
published numbers, so it reveals nothing they do not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.models import Organisation, Person, Team
from gaplens.errors import InputProblem
from gaplens.metrics.queries import load_teams
from gaplens.metrics.registry import get_metric
from gaplens.metrics.schemas import MetricFigure, MetricOverview, MetricScope
from gaplens.releases.measured.queries import measured_release, released_overviews
from gaplens.stats import Estimate, mover_difference

Method = Literal["current_vs_baseline", "within_person", "difference_in_differences"]

METHODS: dict[str, str] = {
    "current_vs_baseline": "Current value vs baseline",
    "within_person": "Within-person before/after",
    "difference_in_differences": "Difference-in-differences vs non-users",
}
METHOD_NOTES: dict[str, str] = {
    "current_vs_baseline": (
        "The scope's released current value (mean or median of per-person values over the 90 "
        "days to a month end) at the month end at or before the period's end, minus the "
        "released current value at the month end at or before the baseline's end; MOVER "
        "interval from the two figures' own intervals (treated as independent, which is "
        "conservative when the same people are in both). Until 90 days after the start, the "
        "later window still holds days before it, which dilutes the change."
    ),
    "within_person": (
        "The measured release's mean within-person change of AI users at the month end at or "
        "before the period's end: each user's 90 days before their own adoption date against "
        "the 90 days starting 14 days after it, for users admitted to the release; bootstrap "
        "interval resampling persons."
    ),
    "difference_in_differences": (
        "The measured release's difference-in-differences at the month end at or before the "
        "period's end: AI users' mean within-person change minus non-users' change around "
        "their team's median adoption date; stratified bootstrap interval."
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


def month_end_before(day: dt.date) -> dt.date:
    """The last month end at or before `day`."""
    following = day + dt.timedelta(days=1)
    return day if following.day == 1 else following.replace(day=1) - dt.timedelta(days=1)


def not_released(day: dt.date) -> str:
    """Why a period whose last day is `day` has no figure yet, in plain words."""
    return (
        f"no month end on or before {day.isoformat()} is released yet (metric figures are "
        "published per month end, once the month is over and the imported data reaches it)"
    )


def released_overview(
    session: Session, metric_key: str, scope: MetricScope, day: dt.date
) -> MetricOverview | None:
    """The scope's overview of the latest released month end at or before `day` (its
    `as_of` is that month end), or None when no month end up to `day` is released."""
    release = measured_release(session, scope.organisation_id, day)
    if release is None:
        return None
    return released_overviews(session, release, scope, [metric_key])[0]


def current_at(
    session: Session, metric_key: str, scope: MetricScope, day: dt.date
) -> tuple[MetricFigure, dt.date | None]:
    """The released current value of the month end at or before `day`, with that month end,
    or why there is none (and None)."""
    overview = released_overview(session, metric_key, scope, day)
    if overview is None:
        summary = f"{get_metric(metric_key).summary} of per-person values"
        return MetricFigure.missing(summary, not_released(day)), None
    return overview.current, overview.as_of


@dataclass(frozen=True)
class Measurement:
    figure: MetricFigure
    """The released figure the method reads (the current value, the within-person change,
    or the difference in differences)."""
    change: MetricFigure
    """The measured change in the metric's unit, with its interval, or the reason there is
    none."""
    month_end: dt.date | None
    """The released month end the figure is from; None when the period has none yet."""
    window_days: int | None = None
    """The days to `month_end` the current value covers (current value vs baseline)."""

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
) -> Measurement:
    """The method's released figure for the period [start, end]: that of the latest month
    end at or before `end`, which must lie in the period (else no figure yet).

    current_vs_baseline: its current value against `baseline` (itself a released figure).
    within_person / difference_in_differences: its `before_after` / `users_vs_non_users`.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    overview = released_overview(session, metric_key, scope, end)
    if overview is None or overview.as_of < start:
        reason = not_released(end)
        if overview is not None:
            reason = (
                f"no month end inside {start.isoformat()} to {end.isoformat()} is released "
                f"yet (the latest before it is {overview.as_of.isoformat()})"
            )
        missing = MetricFigure.missing(METHODS[method], reason)
        return Measurement(missing, missing, None)
    if method == "current_vs_baseline":
        current = overview.current
        return Measurement(
            current,
            change_from_baseline(current, baseline),
            overview.as_of,
            overview.window_days,
        )
    figure = overview.before_after if method == "within_person" else overview.users_vs_non_users
    return Measurement(figure, figure, overview.as_of)
