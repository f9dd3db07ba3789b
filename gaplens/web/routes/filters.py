"""Query parameters for the declared filter dimensions, shared by pages and the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from gaplens.dates import RANGE_TEXT, PlausibleDay
from gaplens.perception.filters import PopulationFilter

DAY_HELP = f"YYYY-MM-DD, {RANGE_TEXT}"


def population_filter(
    team: Annotated[str | None, Query(max_length=100, description="Team key (and below)")] = None,
    function: Annotated[str | None, Query(max_length=100)] = None,
    ai_tenure: Annotated[str | None, Query(max_length=8, description="none, <1, 1-6, 6+")] = None,
    period_from: Annotated[PlausibleDay | None, Query(description=DAY_HELP)] = None,
    period_to: Annotated[PlausibleDay | None, Query(description=DAY_HELP)] = None,
) -> PopulationFilter:
    return PopulationFilter(
        team=team or None,
        function=function or None,
        ai_tenure=ai_tenure or None,
        period_from=period_from,
        period_to=period_to,
    )


Population = Annotated[PopulationFilter, Depends(population_filter)]
