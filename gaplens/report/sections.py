"""The gap trend (capability 2), narrowed to the report's scope: read from each pulse's
release, the same for every viewer. A report's own section (it needs the report's period
and pulses); capabilities' sections register with gaplens/sections.py instead.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gaplens.perception.service import team_id_of
from gaplens.perception.trend import TrendOut, released_population_trend
from gaplens.report.schemas import (
    GapTrend,
    TrendPulse,
)
from gaplens.report.scope import ResolvedPeriod, ResolvedScope, answered_pulses
from gaplens.surveys.models import Survey
from gaplens.wording import GAP_QUESTION

# --- the gap and its trend -------------------------------------------------------------------


def trend_section(
    session: Session,
    survey: Survey,
    scope: ResolvedScope,
    period: ResolvedPeriod,
) -> GapTrend:
    """The gap per pulse of the survey's series, for the scope's responses, up to the period's
    end; the latest change is called widening or narrowing only beyond its interval."""
    pulses = [
        p
        for p in answered_pulses(session)
        if p.answers_through <= period.end
        and (p.survey.id == survey.id or (survey.series and p.survey.series == survey.series))
    ]
    population = scope.population
    team = team_id_of(session, population.team) if population.team else None
    points, change, direction = released_population_trend(
        session, [p.survey for p in pulses], team, population.function
    )
    return GapTrend(
        series=survey.series,
        question=GAP_QUESTION,
        points=[
            TrendPulse(
                survey=point.survey,
                answers_through=pulse.answers_through,
                in_period=period.start <= pulse.answers_through <= period.end,
                status=str(point.status),
                gap_pp=point.gap_pp,
                leaders_n=point.leaders_n,
                frontline_n=point.frontline_n,
            )
            for pulse, point in zip(pulses, points, strict=True)
        ],
        change_pp=change,
        direction=direction,
        method=TrendOut.model_fields["method"].default,
    )
