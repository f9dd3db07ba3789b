"""Declared filter dimensions (privacy rule 3): the only ways a viewer may narrow a view.

Free-form filters are what tracker attacks are made of, so a view can be narrowed only by
these dimensions, at most two at a time, and every narrowed population goes through the
gate's per-viewer differencing check before any number about it is released.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from gaplens.directory.models import Team
from gaplens.errors import InputError
from gaplens.surveys.answers import TENURE_BANDS
from gaplens.surveys.models import SurveyResponse

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


def team_subtree(session: Session, key: str) -> list[int]:
    teams = session.execute(select(Team.id, Team.key, Team.parent_id)).all()
    by_key = {team_key: team_id for team_id, team_key, _ in teams}
    if key not in by_key:
        raise InputError.single(f"unknown team '{key}'", "team")
    children: dict[int | None, list[int]] = {}
    for team_id, _, parent_id in teams:
        children.setdefault(parent_id, []).append(team_id)
    found, stack = [], [by_key[key]]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def conditions(session: Session, population: PopulationFilter) -> list[ColumnElement[bool]]:
    validate(population)
    response = SurveyResponse
    where: list[ColumnElement[bool]] = []
    if population.team:
        where.append(response.team_id.in_(team_subtree(session, population.team)))
    if population.function:
        where.append(response.function == population.function)
    if population.ai_tenure:
        where.append(response.ai_tenure_band == population.ai_tenure)
    if population.period_from:
        where.append(response.answered_on >= population.period_from)
    if population.period_to:
        where.append(response.answered_on <= population.period_to)
    return where


def respondents_by_role(
    session: Session, survey_id: int, where: list[ColumnElement[bool]]
) -> dict[str, frozenset[str]]:
    """The anonymous response ids in the population, split by role level, for the gate."""
    rows = session.execute(
        select(SurveyResponse.role_level, SurveyResponse.id).where(
            SurveyResponse.survey_id == survey_id, *where
        )
    )
    groups: dict[str, set[str]] = {}
    for role, response_id in rows:
        groups.setdefault(role, set()).add(response_id)
    return {role: frozenset(ids) for role, ids in groups.items()}
