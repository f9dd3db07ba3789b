"""Declared filter dimensions (privacy rule 3): the only ways a viewer may narrow a view.

Free-form filters are what tracker attacks are made of, so a view can be narrowed only by
these dimensions, at most two at a time; a narrowed view is the sum of the released classes
inside it (gaplens/releases/queries.py), so no filter can split a class.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from gaplens.errors import InputError
from gaplens.surveys.answers import TENURE_BANDS

MAX_FILTERS = 2


@dataclass(frozen=True)
class PopulationFilter:
    team: str | None = None
    """A team key; the team and every team below it."""
    function: str | None = None
    ai_tenure: str | None = None
    period_from: dt.date | None = None
    period_to: dt.date | None = None

    def active(self) -> list[str]:
        names = [f.name for f in fields(self) if getattr(self, f.name) not in (None, "")]
        if "period_from" in names and "period_to" in names:
            names.remove("period_to")  # a date range is one dimension: the period
        return ["period" if n.startswith("period") else n for n in names]

    def describe(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)}" for f in fields(self) if getattr(self, f.name)]
        return ", ".join(parts) or "everyone"


def validate(population: PopulationFilter) -> None:
    active = population.active()
    if len(active) > MAX_FILTERS:
        raise InputError.single(
            f"at most {MAX_FILTERS} filters at a time (got {', '.join(active)}): combining more "
            "would describe groups too small to protect",
            "filters",
        )
    if population.ai_tenure and population.ai_tenure not in TENURE_BANDS:
        raise InputError.single(
            f"'{population.ai_tenure}' is not a tenure band ({', '.join(TENURE_BANDS)})",
            "ai_tenure",
        )
    if (
        population.period_from
        and population.period_to
        and population.period_from > population.period_to
    ):
        raise InputError.single("the period starts after it ends", "period_from")
