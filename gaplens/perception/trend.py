"""The gap trend (capability 2): the leader-frontline gap per team across pulses of a series.

The gap is the one gap (gaplens/perception/gap.py): the share of leaders (executives and
managers) reporting any productivity gain minus the share of individual contributors doing
so, with Newcombe's interval. A change
between two pulses is the difference of two gaps with a MOVER interval; it is called
*widening* only when that whole interval lies above zero, and *narrowing* only when it lies
below, so noise is never reported as a trend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.audit.service import record
from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.figures import FigureStatus, Interval
from gaplens.perception.gap import released_gap
from gaplens.releases.pulses import ReleasedPulse, released_pulses
from gaplens.releases.queries import SurveyRelease, latest_survey_release
from gaplens.stats import Estimate, mover_difference
from gaplens.surveys.models import Survey
from gaplens.wording import FRONTLINE, LEADERS

ORGANISATION = "__organisation__"


class TrendPoint(BaseModel):
    survey: str
    status: FigureStatus | str
    """'shown', 'not_enough_responses', 'suppressed', or 'refused' (differencing)."""
    gap_pp: Interval | None = None
    leaders_n: int | None = None
    frontline_n: int | None = None


class TeamTrend(BaseModel):
    team: str
    name: str
    points: list[TrendPoint]
    change_pp: Interval | None = None
    direction: str
    """'widening', 'narrowing', 'no clear change' or 'not enough data'."""


class TrendOut(BaseModel):
    series: str
    surveys: list[str]
    teams: list[TeamTrend]
    released_through: dt.date | None = None
    """The day the latest pulse's released answers run through: what the figures cover."""
    method: str = (
        f"Gap = share of leaders ({LEADERS}) reporting high or some gains minus the share of "
        f"{FRONTLINE}, in percentage points with a 95% interval. Change = latest pulse minus "
        "the one before, with its 95% interval; 'widening' only if that interval is above 0."
    )


def direction(change: Estimate | None) -> str:
    if change is None:
        return "not enough data"
    if change.low > 0:
        return "widening"
    if change.high < 0:
        return "narrowing"
    return "no clear change"


def _pulses(session: Session, series: str) -> list[ReleasedPulse]:
    """The series' pulses with a release, in the order they ran as their releases date them
    (the day the latest one's answers run through), never by the day of one answer."""
    found = released_pulses(
        session, list(session.scalars(select(Survey).where(Survey.series == series)))
    )
    if not found:
        known = sorted({s for s in session.scalars(select(Survey.series)) if s})
        raise InputError.single(
            f"no survey with released answers in series '{series}' "
            f"(known: {', '.join(known) or 'none'})",
            "series",
        )
    return found


def _ancestors(parents: dict[int, int | None]) -> dict[int, list[int]]:
    """Each team with every team above it, so a pulse rolls up the tree."""
    chains: dict[int, list[int]] = {}
    for team in parents:
        chain: list[int] = []
        seen: set[int] = set()
        current: int | None = team
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = parents.get(current)
        chains[team] = chain
    return chains


def released_gap_trend(session: Session, series: str) -> TrendOut:
    """The gap per team and pulse from each pulse's latest release: the same for every
    viewer, and a sum of published groups however teams nest, so no team minus its
    sub-teams, or pulse minus pulse, can isolate anyone."""
    pulses = _pulses(session, series)
    surveys = [pulse.survey for pulse in pulses]
    teams = session.execute(select(Team.id, Team.key, Team.name, Team.parent_id)).all()
    depth = {tid: len(chain) for tid, chain in _ancestors({t[0]: t[3] for t in teams}).items()}
    scopes: list[tuple[str, str, int | None]] = [("", "Whole organisation", None)]
    scopes += [
        (key, name, tid) for tid, key, name, _ in sorted(teams, key=lambda t: (depth[t[0]], t[2]))
    ]
    releases = [(survey, latest_survey_release(session, survey)) for survey in surveys]
    result = []
    for key, name, team in scopes:
        points: list[TrendPoint] = []
        estimates: list[Estimate | None] = []
        for survey, release in releases:
            point, estimate = _released_point(survey.name, release, team)
            points.append(point)
            estimates.append(estimate)
        if team is not None and all(p.status != FigureStatus.SHOWN for p in points):
            continue
        change = None
        if len(estimates) >= 2 and estimates[-1] is not None and estimates[-2] is not None:
            change = mover_difference(estimates[-1], estimates[-2])
        result.append(
            TeamTrend(
                team=key,
                name=name,
                points=points,
                change_pp=_pp(change),
                direction=direction(change),
            )
        )
    return TrendOut(
        series=series,
        surveys=[s.name for s in surveys],
        teams=result,
        released_through=max(pulse.answers_through for pulse in pulses),
    )


def _released_point(
    survey: str,
    release: SurveyRelease | None,
    team: int | None,
    function: str | None = None,
) -> tuple[TrendPoint, Estimate | None]:
    """One pulse's gap for the scope: the one gap (gaplens/perception/gap.py)."""
    gap = released_gap(release, team, function)
    if gap is None:
        return TrendPoint(survey=survey, status=FigureStatus.NOT_ENOUGH_RESPONSES), None
    point = TrendPoint(
        survey=survey,
        status=FigureStatus.SHOWN,
        gap_pp=_pp(gap.estimate),
        leaders_n=gap.leaders_n,
        frontline_n=gap.frontline_n,
    )
    return point, gap.estimate


def _pp(estimate: Estimate | None) -> Interval | None:
    if estimate is None:
        return None
    return Interval(estimate=100 * estimate.value, low=100 * estimate.low, high=100 * estimate.high)


def released_population_trend(
    session: Session, surveys: Sequence[Survey], team: int | None, function: str | None
) -> tuple[list[TrendPoint], Interval | None, str]:
    """The gap per pulse for a report's scope (a team and below, or a function), from each
    pulse's release; the latest change and its direction."""
    points: list[TrendPoint] = []
    estimates: list[Estimate | None] = []
    for survey in surveys:
        release = latest_survey_release(session, survey)
        point, estimate = _released_point(survey.name, release, team, function)
        points.append(point)
        estimates.append(estimate)
    change = None
    if len(estimates) >= 2 and estimates[-1] is not None and estimates[-2] is not None:
        change = mover_difference(estimates[-1], estimates[-2])
    return points, _pp(change), direction(change)


def viewer_released_trend(session: Session, viewer: str, series: str) -> TrendOut:
    """The released trend, with the view written to the audit log."""
    result = released_gap_trend(session, series)
    record(session, viewer, "view_trend", series)
    return result
